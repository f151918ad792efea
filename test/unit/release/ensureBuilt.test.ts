/**
 * bin/ensureBuilt.js decides from file times whether `npm start` / `flowstudio` must build
 * first. Checked on a real folder laid out like a checkout, with times set on the files.
 */
import { mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { BUILD_OUTPUTS, buildState, ensureBuilt } from '../../../bin/ensureBuilt.js';

let root: string;

function touch(file: string, secondsAgo: number): void {
  const path = join(root, file);
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, '');
  const t = Date.now() / 1000 - secondsAgo;
  utimesSync(path, t, t);
}

beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), 'flowstudio-build-'));
  touch('package.json', 100);
  touch('src-main/engine/flow/model.ts', 100);
  touch('src-renderer/src/App.vue', 100);
});
afterEach(() => rmSync(root, { recursive: true, force: true }));

describe('build state', () => {
  it('is missing on a fresh clone and when any one output is gone', () => {
    expect(buildState(root)).toBe('missing');
    for (const file of BUILD_OUTPUTS) touch(file, 10);
    expect(buildState(root)).toBe('fresh');
    rmSync(join(root, 'out/preload/index.cjs'));
    expect(buildState(root)).toBe('missing');
  });

  it('is stale when a source deep in a folder, or the lockfile npm writes, is newer than the oldest output', () => {
    for (const file of BUILD_OUTPUTS) touch(file, 50);
    expect(buildState(root)).toBe('fresh');
    touch('src-main/engine/flow/model.ts', 5);
    expect(buildState(root)).toBe('stale');
    for (const file of BUILD_OUTPUTS) touch(file, 1);
    expect(buildState(root)).toBe('fresh');
    touch('node_modules/.package-lock.json', 0);
    expect(buildState(root)).toBe('stale');
  });

  it('ignores node_modules inside a source folder, folders\' own times and files outside the inputs', () => {
    for (const file of BUILD_OUTPUTS) touch(file, 50);
    touch('src-renderer/node_modules/.vite/deps/vue.js', 0);
    touch('test/unit/some.test.ts', 0);
    touch('README.md', 0);
    expect(buildState(root)).toBe('fresh');
  });
});

describe('ensureBuilt', () => {
  it('runs what out/ holds when the sources are absent (an installed app), and says so when nothing is built', () => {
    rmSync(join(root, 'src-main'), { recursive: true });
    expect(ensureBuilt(root)).toMatch(/not built .*sources are absent/);
    touch('out/main/cli.js', 0);
    expect(ensureBuilt(root)).toBeNull();
  });

  it('asks for npm install when the build tool is missing and nothing is built', () => {
    // The temporary checkout has no node_modules/electron-vite.
    expect(ensureBuilt(root)).toMatch(/electron-vite is not installed; run "npm install"/);
  });
});
