/** The path policy on real folders: roots that are links, roots not created yet, picked paths. */
import { mkdirSync, mkdtempSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { PathPolicy, dataRootsFrom, runsRootFrom } from '../../../src-main/host/pathPolicy';

function folders(): { base: string; runs: string; data: string; elsewhere: string } {
  const base = mkdtempSync(join(tmpdir(), 'flowstudio-policy-'));
  const paths = { base, runs: join(base, 'runs'), data: join(base, 'data'), elsewhere: join(base, 'elsewhere') };
  for (const dir of [paths.data, paths.elsewhere]) mkdirSync(dir);
  return paths;
}

describe('path policy', () => {
  it('allows a new run under a runs folder that does not exist yet, and nothing beside it', async () => {
    const { runs, elsewhere } = folders();
    const policy = new PathPolicy({ runsRoot: runs, dataRoots: [] });
    expect(await policy.allows(join(runs, 'first', 'run'), 'newRun')).toBe(true);
    expect(await policy.allows(runs, 'runsRoot')).toBe(true);
    expect(await policy.allows(`${runs}-sibling`, 'newRun')).toBe(false);
    expect(await policy.allows(join(elsewhere, 'run'), 'newRun')).toBe(false);
  });

  it('judges real paths: a root reached through a link holds what lies under it', async () => {
    const { base, data, elsewhere } = folders();
    const alias = join(base, 'alias');
    symlinkSync(data, alias);
    const policy = new PathPolicy({ runsRoot: join(base, 'runs'), dataRoots: [alias] });
    expect(await policy.allows(join(data, 'set'), 'data')).toBe(true);
    expect(await policy.allows(join(alias, 'set'), 'data')).toBe(true);
    expect(await policy.allows(join(alias, '..', 'elsewhere'), 'data')).toBe(false);
    expect(await policy.allows(elsewhere, 'data')).toBe(false);
  });

  it('allows a path the user picked, for every use, from then on', async () => {
    const { runs, elsewhere } = folders();
    const policy = new PathPolicy({ runsRoot: runs, dataRoots: [] });
    expect(await policy.allows(join(elsewhere, 'images'), 'data')).toBe(false);
    policy.allowPicked(elsewhere);
    expect(await policy.allows(join(elsewhere, 'images'), 'data')).toBe(true);
    expect(await policy.allows(join(elsewhere, 'a-run'), 'run')).toBe(true);
    expect(await policy.allows(`${elsewhere}2`, 'data')).toBe(false);
  });

  it('keeps image files to dataset roots and runs, and expands ~ only in data specs as the loaders do', async () => {
    const { runs, data } = folders();
    const policy = new PathPolicy({ runsRoot: runs, dataRoots: [data, '~/flowstudio-policy-home'] });
    expect(await policy.allows(join(runs, 'r', 'samples', 'x.png'), 'file')).toBe(true);
    expect(await policy.allows(join(data, 'x.png'), 'file')).toBe(true);
    expect(await policy.allows('~/flowstudio-policy-home/set', 'data')).toBe(true);
    expect(await policy.allows('~/flowstudio-policy-home/set', 'file')).toBe(false);
  });

  it('reads its roots from the environment the engine gets', () => {
    expect(runsRootFrom({ FLOWSTUDIO_RUNS: 'my-runs' }, '/srv/app')).toBe('/srv/app/my-runs');
    expect(runsRootFrom({}, '/srv/app')).toBe('/srv/app/runs');
    const roots = dataRootsFrom({ FLOWSTUDIO_DATA_ROOTS: '/a:/b' }, ['/c']);
    expect(roots.slice(0, 3)).toEqual(['/a', '/b', '/c']);
    expect(roots).toContain('/usr/share/datasets');
  });
});
