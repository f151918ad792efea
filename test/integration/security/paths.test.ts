/**
 * The path policy through the protocol: a real WebSocket to a real serve-mode server with a real
 * engine. Run folders stay in the runs folder, data specs in the dataset roots, image files in
 * either; `../`, absolute paths, relative escapes, links out (of a root or inside a run folder)
 * and NUL bytes are refused by name before the engine sees them, and nothing is created.
 */
import { existsSync, mkdirSync, mkdtempSync, readdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolveRunConfig } from '../../../src-shared/config';
import { type NodeHost, createNodeHost } from '../../../src-main/host/nodeHost';
import { type RunningServer, startServer } from '../../../src-main/host/serve';
import { type TestClient, connect } from '../../helpers/wsClient';

const SECRET = 'TOP-SECRET-run-folder-link';
let host: NodeHost;
let server: RunningServer;
let client: TestClient;
let runsRoot: string;
let dataRoot: string;
let outside: string;

function writeRun(dir: string): void {
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'config.json'), JSON.stringify(resolveRunConfig('toy2d', { data: 'toy:two-moons' })));
}

beforeAll(async () => {
  const base = mkdtempSync(join(tmpdir(), 'flowstudio-paths-'));
  runsRoot = join(base, 'runs');
  dataRoot = join(base, 'data');
  outside = join(base, 'outside');
  for (const dir of [runsRoot, dataRoot, outside, join(dataRoot, 'empty')]) mkdirSync(dir, { recursive: true });
  writeFileSync(join(outside, 'secret.json'), SECRET);
  writeRun(join(runsRoot, 'good-run'));
  writeRun(join(outside, 'foreign-run'));
  symlinkSync(join(outside, 'foreign-run'), join(runsRoot, 'linked-run'));
  symlinkSync(outside, join(runsRoot, 'linked-dir'));
  symlinkSync(outside, join(dataRoot, 'linked-data'));
  // A run folder whose config.json is a link to a file outside every root.
  mkdirSync(join(runsRoot, 'trap-run', 'checkpoints'), { recursive: true });
  symlinkSync(join(outside, 'secret.json'), join(runsRoot, 'trap-run', 'config.json'));
  // One whose checkpoint is a link out (two levels down).
  writeRun(join(runsRoot, 'deep-trap'));
  mkdirSync(join(runsRoot, 'deep-trap', 'checkpoints', 'step-00000001'), { recursive: true });
  symlinkSync(join(outside, 'secret.json'), join(runsRoot, 'deep-trap', 'checkpoints', 'step-00000001', 'meta.json'));

  host = createNodeHost('serve', { env: { ...process.env, FLOWSTUDIO_BACKEND: 'cpu', FLOWSTUDIO_RUNS: runsRoot }, dataRoots: [dataRoot] });
  server = await startServer({ router: host.router, staticDir: writeStatic(base), token: 'paths-token' });
  client = await connect(`ws://127.0.0.1:${server.port}/ws?token=paths-token`);
});

afterAll(async () => {
  client?.close();
  await server?.close();
  host?.close();
});

function writeStatic(base: string): string {
  const dir = join(base, 'static');
  mkdirSync(dir);
  writeFileSync(join(dir, 'index.html'), '<!doctype html>');
  return dir;
}

async function refused(command: string, args: unknown): Promise<string> {
  const reply = await client.request(command, args);
  expect(reply['ok'], `${command} ${JSON.stringify(args)}`).toBe(false);
  const error = reply['error'] as { code: string; message: string };
  expect(error.code, error.message).toBe('FORBIDDEN_PATH');
  expect(error.message).not.toContain(SECRET);
  return error.message;
}

async function engineError(command: string, args: unknown): Promise<string> {
  const reply = await client.request(command, args);
  expect(reply['ok']).toBe(false);
  const error = reply['error'] as { code: string; message: string };
  expect(error.code, error.message).not.toBe('FORBIDDEN_PATH');
  return error.message;
}

describe('run folders', () => {
  it('refuses a new run outside the runs folder and creates nothing', async () => {
    const before = readdirSync(outside).sort();
    for (const runDir of [
      join(runsRoot, '..', 'outside', 'escaped'),
      join(outside, 'absolute'),
      '../../flowstudio-relative-escape',
      join(runsRoot, 'linked-dir', 'through-a-link'),
      '/etc/flowstudio',
    ]) {
      const message = await refused('startTraining', { preset: 'toy2d', runDir });
      expect(message).toMatch(/^runDir ".*" is outside the folders allowed for runs \(.+\); keep runs in the runs folder/);
    }
    expect(readdirSync(outside).sort()).toEqual(before);
    expect(existsSync(join(process.cwd(), '..', '..', 'flowstudio-relative-escape'))).toBe(false);
  });

  it('names a NUL byte instead of silently dropping it', async () => {
    const message = await refused('startTraining', { preset: 'toy2d', runDir: join(runsRoot, 'a\u0000b') });
    expect(message).toBe('runDir contains a NUL byte; paths cannot hold one');
    expect(await refused('openRun', { run: { runDir: `${join(runsRoot, 'good-run')}\u0000` } })).toMatch(/^run\.runDir contains a NUL byte/);
    expect(existsSync(join(runsRoot, 'ab'))).toBe(false);
  });

  it('refuses run folders reached through links out, and run folders holding links out', async () => {
    expect(await refused('openRun', { run: { runDir: join(runsRoot, 'linked-run') } })).toMatch(/^run\.runDir ".*linked-run" is outside/);
    expect(await refused('openRun', { run: { runDir: join(runsRoot, 'trap-run') } })).toMatch(/holds "config\.json", a link that leads out/);
    expect(await refused('sample', { run: { runDir: join(runsRoot, 'deep-trap') }, n: 1, temperature: 1, seed: 0 })).toMatch(
      /holds "checkpoints\/step-00000001\/meta\.json", a link that leads out/,
    );
    expect(await refused('startTraining', { preset: 'toy2d', runDir: join(runsRoot, 'trap-run'), resume: true })).toMatch(/a link that leads out/);
    for (const command of ['lipschitz', 'toyDensity', 'toyLayers']) {
      await refused(command, { run: { runDir: join(outside, 'foreign-run') } });
    }
  });

  it('opens a run inside the runs folder, and takes %2e%2e literally (no decoding in protocol paths)', async () => {
    const opened = await client.request('openRun', { run: { runDir: join(runsRoot, 'good-run') } });
    expect(opened).toMatchObject({ ok: true, result: { run: { runDir: join(runsRoot, 'good-run') } } });
    const literal = join(runsRoot, '%2e%2e', '%2e%2e', 'etc');
    expect(await engineError('openRun', { run: { runDir: literal } })).toContain('%2e%2e');
  });

  it('lists only runs that clients may open, and only from the runs folder', async () => {
    const listed = (await client.request('listRuns', {}))['result'] as { onDisk: { runDir: string }[] };
    const dirs = listed.onDisk.map((r) => r.runDir);
    expect(dirs).toContain(join(runsRoot, 'good-run'));
    expect(dirs).not.toContain(join(runsRoot, 'linked-run'));
    await refused('listRuns', { root: outside });
    await refused('listRuns', { root: join(runsRoot, '..') });
  });
});

describe('data and image paths', () => {
  it('refuses data specs outside the dataset roots, in every command that takes one', async () => {
    for (const data of [`folder:${outside}`, `folder:${join(dataRoot, '..', 'outside')}`, `folder:${join(dataRoot, 'linked-data')}`, 'mnist:~/../../etc', 'cifar10:/etc']) {
      expect(await refused('datasetInfo', { data })).toMatch(/^data ".*" is outside the folders allowed for datasets .*--data-root DIR or FLOWSTUDIO_DATA_ROOTS/);
    }
    await refused('datasetImage', { data: `folder:${outside}`, split: 'train', index: 0 });
    await refused('bounds', { data: `folder:${outside}` });
    await refused('startTraining', { preset: 'toy2d', overrides: { data: `folder:${outside}` } });
    expect(await refused('datasetInfo', { data: `folder:${dataRoot}/x\u0000y` })).toBe('data contains a NUL byte; paths cannot hold one');
    expect(readdirSync(runsRoot)).not.toContain(expect.stringMatching(/^toy2d-/));
  });

  it('lets specs inside a root and toys through to the engine', async () => {
    expect(await engineError('datasetInfo', { data: `folder:${join(dataRoot, 'empty')}` })).toMatch(/contains no images/);
    expect(await client.request('datasetInfo', { data: 'toy:rings?n=100', examples: 0 })).toMatchObject({ ok: true });
  });

  it('refuses image files outside the dataset roots and the runs folder', async () => {
    const image = { file: join(outside, 'secret.json') };
    expect(await refused('perturb', { run: { runId: 'none' }, image, levels: [{ keep: true, temperature: 1 }], seed: 0 })).toMatch(/^image\.file /);
    await refused('perturbGrid', { run: { runId: 'none' }, image: { file: '/etc/passwd' }, temperature: 1, seed: 0 });
    await refused('interpolate', { run: { runId: 'none' }, a: { data: 'toy:rings', split: 'train', index: 0 }, b: { file: '../../x.png' }, steps: 2 });
    await refused('perturb', { run: { runId: 'none' }, image: { data: `folder:${outside}`, split: 'test', index: 0 }, levels: [{ keep: true, temperature: 1 }], seed: 0 });
  });
});
