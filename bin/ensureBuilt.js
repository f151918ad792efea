// Builds the app (`electron-vite build`) when out/ is missing or older than its sources, so a
// fresh clone needs no build step before `npm start` and a `git pull` never runs stale code.
// Why here and not in an npm `prepare` script: prepare runs once at install, so out/ would go
// stale after the next pull or edit; this check runs before every command and costs a few ms.
//
// A checkout without sources or without devDependencies (an installed package) skips the
// check and runs whatever out/ holds. Concurrent commands (tests start several) build once:
// the first takes a lock folder, the others wait for it to go, then look again.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, rmSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';

/** What the build reads: a change to any of these makes out/ stale. */
export const BUILD_INPUTS = ['src-main', 'src-shared', 'src-renderer', 'electron.vite.config.ts', 'package.json', 'node_modules/.package-lock.json'];
/** What the build writes that the app needs (main, engine, CLI, preload, renderer). */
export const BUILD_OUTPUTS = ['out/main/index.js', 'out/main/engine.js', 'out/main/cli.js', 'out/preload/index.cjs', 'out/renderer/index.html'];

const LOCK = join('out', '.build-lock');
const LOCK_STALE_MS = 15 * 60_000;

/**
 * The newest modification time of the files under `path` (a file or a folder), 0 when there
 * are none. Folders' own times are left out: an added or deleted module always comes with a
 * change to a file that imports it, and editors' temporary files would otherwise count.
 */
function newestMtime(path) {
  if (!existsSync(path)) return 0;
  const info = statSync(path);
  if (!info.isDirectory()) return info.mtimeMs;
  let newest = 0;
  for (const entry of readdirSync(path, { withFileTypes: true })) {
    if (entry.name === 'node_modules') continue;
    newest = Math.max(newest, newestMtime(join(path, entry.name)));
  }
  return newest;
}

/**
 * 'fresh', 'missing' (an output is absent) or 'stale' (a source is newer than the oldest
 * output), for the checkout at `root`.
 */
export function buildState(root) {
  const outputs = BUILD_OUTPUTS.map((file) => join(root, file));
  if (!outputs.every((file) => existsSync(file))) return 'missing';
  const built = Math.min(...outputs.map((file) => statSync(file).mtimeMs));
  const sources = Math.max(...BUILD_INPUTS.map((input) => newestMtime(join(root, input))));
  return sources > built ? 'stale' : 'fresh';
}

function sleep(ms) {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

/** Takes the build lock, or waits until whoever holds it is done (returns false then). */
function takeLock(root) {
  const lock = join(root, LOCK);
  mkdirSync(join(root, 'out'), { recursive: true });
  for (;;) {
    try {
      mkdirSync(lock);
      return true;
    } catch (error) {
      if (error.code !== 'EEXIST') throw error;
    }
    let waited = false;
    while (existsSync(lock)) {
      // A lock left by a build that was killed: take it over.
      if (Date.now() - statSync(lock).mtimeMs > LOCK_STALE_MS) rmSync(lock, { recursive: true, force: true });
      else sleep(500);
      waited = true;
    }
    if (waited) return false;
  }
}

/** The electron-vite command line, or null where devDependencies are not installed. */
function electronVite(root) {
  try {
    const require = createRequire(join(root, 'package.json'));
    const pkgFile = require.resolve('electron-vite/package.json');
    const bin = require(pkgFile).bin;
    const relative = typeof bin === 'string' ? bin : bin['electron-vite'];
    return join(pkgFile, '..', relative);
  } catch {
    return null;
  }
}

/**
 * Makes sure out/ is built and current. Progress goes to stderr (stdout may carry --json).
 * Returns null when the app is ready, else a one-line reason it cannot run.
 */
export function ensureBuilt(root) {
  if (!existsSync(join(root, 'src-main'))) {
    return existsSync(join(root, BUILD_OUTPUTS[2])) ? null : 'the app is not built (out/main/cli.js missing) and its sources are absent';
  }
  let state = buildState(root);
  if (state === 'fresh') return null;
  const tool = electronVite(root);
  if (tool === null) {
    return state === 'missing' ? 'the app is not built and electron-vite is not installed; run "npm install"' : null;
  }
  if (!takeLock(root)) {
    // Another command built it meanwhile.
    state = buildState(root);
    return state === 'fresh' ? null : 'another build of the app failed; run "npm run build" to see why';
  }
  try {
    const why = state === 'missing' ? 'out/ is missing' : 'sources changed since the last build';
    process.stderr.write(`flowstudio: building the app (${why}) ...\n`);
    const run = spawnSync(process.execPath, [tool, 'build'], { cwd: root, stdio: ['ignore', 2, 2] });
    if (run.status !== 0) return `the build failed (electron-vite build exited with ${run.status ?? run.signal}); fix it and run "npm run build"`;
    return null;
  } finally {
    rmSync(join(root, LOCK), { recursive: true, force: true });
  }
}
