/**
 * Packaging cannot run here (it downloads Electron): validate electron-builder.yml against the
 * build's output instead, with electron-builder's own loader, schema, file matchers and
 * production-module collector (electronBuilder.ts). Needs `npm run build` first (npm test
 * builds before it runs the tests).
 *
 * The optional tfjs-node and tfjs-node-gpu packages are rarely installed (their install
 * downloads libtensorflow). When one is installed and packed, its files are checked like any
 * other module's. When it is not, its asar-unpack glob cannot match a file on disk, so the
 * test checks the glob against the paths that package installs (its N-API binding under
 * lib/napi-v8/, libtensorflow under deps/lib/): they must land outside the asar once it is.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join, relative } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  type BuilderConfig,
  PROJECT,
  type Platform,
  appFileFilter,
  filesUnder,
  loadConfig,
  moduleFileFilter,
  productionModules,
  unpackFilter,
} from './electronBuilder';

const PLATFORMS: Platform[] = ['linux', 'mac', 'win'];
/** What the app runs: Electron main, the engine process, its gradient worker thread, the CLI, the preload, the renderer. */
const BUNDLES = ['out/main/index.js', 'out/main/engine.js', 'out/main/gradientWorker.js', 'out/main/cli.js', 'out/preload/index.cjs', 'out/renderer/index.html'];
/** Files a native loader, dlopen or a worker thread opens by path. */
const NATIVE = /\.(node|wasm|dll|dylib|so(\.\d+)*)$/;
const WASM_FILES = ['dist/tfjs-backend-wasm.wasm', 'dist/tfjs-backend-wasm-simd.wasm', 'dist/tfjs-backend-wasm-threaded-simd.wasm'];
/** The threaded build's pthread entry (added by patches/) and the glue it loads. */
const WASM_WORKERS = ['wasm-out/tfjs-backend-wasm-threaded-simd.node-worker.js', 'wasm-out/tfjs-backend-wasm-threaded-simd.js'];
const OPTIONAL_NATIVE = ['@tensorflow/tfjs-node-gpu', '@tensorflow/tfjs-node'];
/** Where tfjs-node(-gpu) 4.22 puts its binary parts (package.json "binary".module_path, deps/). */
const TFJS_NODE_LAYOUT = ['lib/napi-v8/tfjs_binding.node', 'deps/lib/libtensorflow.so.2', 'deps/lib/libtensorflow_framework.so.2'];
/** The prefix of Dawn's build folders (dist/linux-x64, dist/darwin-universal, ...) per target OS. */
const DAWN_OS: Record<Platform, string> = { linux: 'linux-', mac: 'darwin-', win: 'win32-' };

const pkg = JSON.parse(readFileSync('package.json', 'utf8')) as Record<string, unknown>;
const nodeModule = (name: string, file = ''): string => join(PROJECT, 'node_modules', name, file);
const rel = (file: string): string => relative(PROJECT, file);

let config: BuilderConfig;
let modules: { name: string; dir: string }[];

beforeAll(async () => {
  config = await loadConfig();
  modules = await productionModules();
}, 60_000);

describe('electron-builder.yml', () => {
  it('passes electron-builder\'s schema and declares an app id, AppImage and deb, dmg and nsis', () => {
    expect(config['appId']).toMatch(/^[a-z][a-z0-9]*(\.[a-z][a-z0-9-]*)+$/);
    expect(config.linux?.['target']).toEqual(expect.arrayContaining(['AppImage', 'deb']));
    expect([config.mac?.['target']].flat()).toContain('dmg');
    expect([config.win?.['target']].flat()).toContain('nsis');
    // A deb needs a maintainer (fpm refuses without one); package.json has no author.
    expect(String(config.linux?.['maintainer'] ?? '')).not.toBe('');
    expect(config['npmRebuild']).toBe(false);
  });

  it('names icons that exist, from the build resources folder', () => {
    const resources = (config['directories'] as { buildResources: string }).buildResources;
    for (const platform of PLATFORMS) {
      const icon = String(config[platform]?.['icon']);
      expect(icon.startsWith(`${resources}/`), `${platform} icon ${icon}`).toBe(true);
      expect(existsSync(icon), `${platform} icon ${icon}`).toBe(true);
    }
  });

  it.each(PLATFORMS)('packs the built bundles and nothing of the sources (%s)', (platform) => {
    const packed = appFileFilter(config, platform);
    expect(pkg['main']).toBe('out/main/index.js');
    for (const file of BUNDLES) {
      expect(existsSync(file), `${file} is missing: run "npm run build"`).toBe(true);
      expect(packed(join(PROJECT, file)), `${file} packed`).toBe(true);
    }
    expect(packed(join(PROJECT, 'package.json'))).toBe(true);
    for (const file of ['src-main/engine/backend.ts', 'src-renderer/index.html', 'test/unit/release/packaging.test.ts', 'README.md', 'electron-builder.yml', 'resources/icon.svg']) {
      expect(packed(join(PROJECT, file)), `${file} must stay out of the package`).toBe(false);
    }
  });

  it('lists only files that exist: each positive pattern of files matches a built file', () => {
    // electron-builder turns the top-level list into one file set ({filter: [...]}).
    const listed = (config['files'] as (string | { filter?: string[] })[]).flatMap((entry) => (typeof entry === 'string' ? [entry] : (entry.filter ?? [])));
    const patterns = listed.filter((p) => !p.startsWith('!'));
    expect(patterns.length).toBeGreaterThan(0);
    const builtFiles = filesUnder(join(PROJECT, 'out')).map(rel).concat('package.json');
    for (const pattern of patterns) {
      const only = appFileFilter({ ...config, files: [pattern] }, 'linux');
      expect(builtFiles.some((file) => only(join(PROJECT, file))), `files pattern ${pattern} matches nothing`).toBe(true);
    }
  });

  it('matches a real file with every asar-unpack glob (the optional tfjs-node packages: see above)', () => {
    for (const glob of config['asarUnpack'] as string[]) {
      const only = unpackFilter({ ...config, asarUnpack: [glob] }, 'linux');
      const optional = OPTIONAL_NATIVE.find((name) => glob.startsWith(`node_modules/${name}/`));
      if (optional && !existsSync(nodeModule(optional))) {
        for (const file of TFJS_NODE_LAYOUT) expect(only(nodeModule(optional, file)), `${glob} unpacks ${file}`).toBe(true);
        continue;
      }
      // The glob's fixed prefix (up to its first wildcard) is the folder to look in.
      const base = glob.slice(0, glob.search(/[*?{[]/)).replace(/\/[^/]*$/, '');
      expect(existsSync(join(PROJECT, base)), `${glob}: ${base} does not exist`).toBe(true);
      expect(filesUnder(join(PROJECT, base)).some(only), `asarUnpack glob ${glob} matches no file`).toBe(true);
    }
  });

  it.each(PLATFORMS)('leaves no native or wasm file of a packed module inside the asar (%s)', (platform) => {
    const packed = moduleFileFilter(config, platform);
    const unpacked = unpackFilter(config, platform);
    const natives = modules.flatMap((m) => filesUnder(m.dir)).filter((file) => NATIVE.test(file) && packed(file));
    expect(natives.length).toBeGreaterThan(0);
    const inside = natives.filter((file) => !unpacked(file)).map((file) => relative(PROJECT, file));
    expect(inside, 'native files left in the asar').toEqual([]);
    for (const file of [...WASM_FILES, ...WASM_WORKERS]) {
      const path = nodeModule('@tensorflow/tfjs-backend-wasm', file);
      expect(existsSync(path), `${file} (the patch in patches/ adds the worker entry)`).toBe(true);
      expect(packed(path) && unpacked(path), `${file} packed and unpacked`).toBe(true);
    }
  });

  it.each(PLATFORMS)('ships Dawn\'s dawn.node for that OS only, unpacked (%s)', (platform) => {
    const packed = moduleFileFilter(config, platform);
    const unpacked = unpackFilter(config, platform);
    expect(modules.some((m) => m.name === 'webgpu')).toBe(true);
    const dawn = nodeModule('webgpu', 'dist');
    for (const dir of filesUnder(dawn).filter((f) => f.endsWith('dawn.node')).map((f) => rel(f).split('/')[3])) {
      const file = nodeModule('webgpu', `dist/${dir}/dawn.node`);
      const own = dir?.startsWith(DAWN_OS[platform]) === true;
      expect(packed(file), `${dir}/dawn.node packed for ${platform}`).toBe(own);
      if (own) expect(unpacked(file)).toBe(true);
    }
  });

  it('packs the optional tfjs-node(-gpu) only when installed as a dependency, whole and unpacked', () => {
    for (const name of OPTIONAL_NATIVE) {
      const collected = modules.find((m) => m.name === name);
      if (!collected) continue; // not installed, or installed as a peer (run-only): see the README
      const unpacked = unpackFilter(config, 'linux');
      const files = filesUnder(collected.dir).filter((file) => NATIVE.test(file));
      expect(files.length, `${name} has no native files: its install did not finish`).toBeGreaterThan(0);
      for (const file of files) expect(unpacked(file), rel(file)).toBe(true);
    }
    const meta = pkg['peerDependenciesMeta'] as Record<string, { optional: boolean }>;
    for (const name of OPTIONAL_NATIVE) expect(meta[name]?.optional, name).toBe(true);
    expect(JSON.stringify(pkg['dependencies'])).not.toContain('tfjs-node');
  });
});

describe('electron install script', () => {
  it('is allowed to run, and exits at once without downloading when ELECTRON_SKIP_BINARY_DOWNLOAD is set', () => {
    const allow = pkg['allowScripts'] as Record<string, boolean>;
    expect(allow['electron']).toBe(true);
    const electronDir = join(createRequire(import.meta.url).resolve('electron/package.json'), '..');
    const hadBinary = existsSync(join(electronDir, 'path.txt'));
    const started = Date.now();
    const run = spawnSync(process.execPath, [join(electronDir, 'install.js')], {
      env: { ...process.env, ELECTRON_SKIP_BINARY_DOWNLOAD: '1', HTTPS_PROXY: 'http://127.0.0.1:9', HTTP_PROXY: 'http://127.0.0.1:9' },
      encoding: 'utf8',
      timeout: 30_000,
    });
    expect(run.status, run.stderr).toBe(0);
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(existsSync(join(electronDir, 'path.txt'))).toBe(hadBinary);
  });
});
