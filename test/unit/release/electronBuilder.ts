/**
 * electron-builder's own config loader, schema check, file matchers and production-module
 * collector, called without packaging (which needs the Electron zip): the packaging test asks
 * the same code that `npm run dist` runs which files it would pack and which it would unpack.
 * These are app-builder-lib internals (no public API for them); the version is pinned in
 * package.json (electron-builder 26.0.20), so a change of theirs shows up here at an upgrade.
 */
import { type Stats, readdirSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join, resolve } from 'node:path';

const requireHere = createRequire(import.meta.url);
// Resolve app-builder-lib where electron-builder resolves it (it is electron-builder's own dependency).
const builderRequire = createRequire(requireHere.resolve('electron-builder/package.json'));
const appBuilderRequire = createRequire(builderRequire.resolve('app-builder-lib/package.json'));

export type Platform = 'linux' | 'mac' | 'win';
export type BuilderConfig = Record<string, unknown> & Partial<Record<Platform, Record<string, unknown>>>;
type Filter = (file: string, stat: Stats) => boolean;

interface FileMatcherLike {
  from: string;
  createFilter(): Filter;
}
interface FileMatcherModule {
  getMainFileMatchers(appDir: string, destination: string, expand: (s: string) => string, platformOptions: object, packager: object, outDir: string, isElectronCompile: boolean): FileMatcherLike[];
  getNodeModuleFileMatcher(appDir: string, destination: string, expand: (s: string) => string, platformOptions: object, packager: object): FileMatcherLike;
  getFileMatchers(config: object, name: string, destination: string, options: object): FileMatcherLike[] | null;
}
interface ConfigModule {
  getConfig(projectDir: string, configPath: string | null, fromOptions: object | null): Promise<BuilderConfig>;
  validateConfiguration(config: BuilderConfig, logger: object): Promise<void>;
}
interface ModuleInfo {
  name: string;
  dir: string;
  dependencies?: ModuleInfo[];
}

const fileMatcher = appBuilderRequire('./out/fileMatcher.js') as FileMatcherModule;
const configModule = appBuilderRequire('./out/util/config/config.js') as ConfigModule;
const { DebugLogger } = appBuilderRequire('builder-util') as { DebugLogger: new (enabled: boolean) => object };
const { getNodeModules } = appBuilderRequire('./out/node-module-collector/index.js') as {
  getNodeModules(pm: 'npm', rootDir: string, tmp: object): Promise<ModuleInfo[]>;
};
const { TmpDir } = appBuilderRequire('temp-file') as { TmpDir: new (label: string) => object };

export const PROJECT = resolve('.');
const identity = (s: string): string => s;

/** electron-builder.yml as electron-builder reads it, checked against its JSON schema. */
export async function loadConfig(): Promise<BuilderConfig> {
  const config = await configModule.getConfig(PROJECT, null, null);
  await configModule.validateConfiguration(config, new DebugLogger(false));
  return config;
}

function packagerOf(config: BuilderConfig): object {
  const directories = (config['directories'] ?? {}) as { buildResources?: string };
  const info = { projectDir: PROJECT, buildResourcesDir: directories.buildResources ?? 'build', config, isPrepackedAppAsar: false, debugLogger: new DebugLogger(false) };
  return { info, ...info };
}

function outDir(config: BuilderConfig): string {
  return join(PROJECT, ((config['directories'] ?? {}) as { output?: string }).output ?? 'dist');
}

/** Whether the app's own files (everything outside node_modules) put `file` in the package. */
export function appFileFilter(config: BuilderConfig, platform: Platform): (file: string) => boolean {
  const matchers = fileMatcher.getMainFileMatchers(PROJECT, '/app', identity, config[platform] ?? {}, packagerOf(config), outDir(config), false);
  const filters = matchers.map((m) => m.createFilter());
  return (file) => filters.some((filter) => filter(file, statSync(file)));
}

/** Whether a file inside a production module is packed (the exclusions of `files`). */
export function moduleFileFilter(config: BuilderConfig, platform: Platform): (file: string) => boolean {
  const filter = fileMatcher.getNodeModuleFileMatcher(PROJECT, '/app', identity, config[platform] ?? {}, packagerOf(config)).createFilter();
  return (file) => filter(file, statSync(file));
}

/**
 * Whether a file would sit outside the asar archive. `file` need not exist (an optional
 * package not installed here): a missing path is matched as a file.
 */
export function unpackFilter(config: BuilderConfig, platform: Platform): (file: string) => boolean {
  const matchers = fileMatcher.getFileMatchers(config, 'asarUnpack', '/app', { macroExpander: identity, customBuildOptions: config[platform] ?? {}, globalOutDir: outDir(config), defaultSrc: PROJECT });
  if (!matchers?.[0]) return () => false;
  const filter = matchers[0].createFilter();
  const asFile = { isDirectory: () => false, isFile: () => true } as Stats;
  return (file) => {
    let stat: Stats;
    try {
      stat = statSync(file);
    } catch {
      stat = asFile;
    }
    return filter(file, stat);
  };
}

/** The production modules electron-builder would pack (its collector runs `npm list`). */
export async function productionModules(): Promise<{ name: string; dir: string }[]> {
  const flat: { name: string; dir: string }[] = [];
  const walk = (list: ModuleInfo[]): void => {
    for (const m of list) {
      flat.push({ name: m.name, dir: m.dir });
      if (m.dependencies) walk(m.dependencies);
    }
  };
  walk(await getNodeModules('npm', PROJECT, new TmpDir('flowstudio-packaging-test')));
  return flat;
}

/** Every file under `dir`, skipping nested node_modules (those are modules of their own). */
export function filesUnder(dir: string): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) {
      if (entry.name !== 'node_modules') out.push(...filesUnder(path));
    } else if (entry.isFile()) {
      out.push(path);
    }
  }
  return out;
}
