/**
 * The desktop app's host: the engine in a utilityProcess, the path policy, and the router
 * with the one host command only a desktop has (native file and folder dialogs).
 */
import { join } from 'node:path';
import { type App, type OpenDialogOptions, dialog } from 'electron';
import type { CommandArgs, CommandResult } from '../../src-shared/protocol';
import { resolveEngineEntry } from '../host/engineChannel';
import { EngineClient } from '../host/engineClient';
import { PathPolicy, dataRootsFrom, runsRootFrom } from '../host/pathPolicy';
import { appVersion } from '../host/paths';
import { Router } from '../host/router';
import type { MainWindows } from './context';
import { forkUtilityEngine } from './utilityChannel';

/**
 * A desktop app's working directory is arbitrary: keep runs and dataset caches in the user's
 * documents and cache folders unless the environment says otherwise.
 */
export function engineEnvironment(app: App, env: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  return {
    ...env,
    FLOWSTUDIO_RUNS: env['FLOWSTUDIO_RUNS'] ?? join(app.getPath('documents'), 'FlowStudio', 'runs'),
    FLOWSTUDIO_CACHE_DIR: env['FLOWSTUDIO_CACHE_DIR'] ?? join(app.getPath('userData'), 'dataset-cache'),
  };
}

async function pickPath(windows: MainWindows, { kind, title }: CommandArgs<'pickPath'>): Promise<CommandResult<'pickPath'>> {
  const options: OpenDialogOptions = {
    title: title ?? (kind === 'folder' ? 'Choose a folder' : 'Choose a file'),
    properties: kind === 'folder' ? ['openDirectory'] : ['openFile'],
  };
  const parent = windows.current();
  const picked = parent ? await dialog.showOpenDialog(parent, options) : await dialog.showOpenDialog(options);
  return { path: picked.canceled ? null : (picked.filePaths[0] ?? null) };
}

export function createDesktopHost(app: App, windows: MainWindows): { engine: EngineClient; router: Router } {
  const env = engineEnvironment(app);
  const entry = resolveEngineEntry();
  const engine = new EngineClient(() => forkUtilityEngine(entry, env));
  const paths = new PathPolicy({ runsRoot: runsRootFrom(env), dataRoots: dataRootsFrom(env) });
  const router = new Router(engine, {
    mode: 'electron',
    appVersion: appVersion(),
    paths,
    hooks: { pickPath: (args) => pickPath(windows, args) },
  });
  return { engine, router };
}
