/**
 * What the desktop app's modules share, and the module contract: `initApp` (initApp.ts) enables
 * each module in turn, the way vite-electron-builder composes its AppModules. Every module
 * does one thing (one window, one IPC channel, one set of security rules, one engine lifetime).
 */
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { App, BrowserWindow } from 'electron';
import type { EngineClient } from '../host/engineClient';
import type { Router } from '../host/router';

/** Files of the built app, found from the main bundle's place (out/main/index.js). */
export interface AppFiles {
  rendererIndex: string;
  /** The file: URL the window's page has; IPC from any other page is refused. */
  rendererUrl: string;
  preload: string;
}

export function appFiles(): AppFiles {
  const here = dirname(fileURLToPath(import.meta.url));
  const rendererIndex = join(here, '../renderer/index.html');
  return { rendererIndex, rendererUrl: pathToFileURL(rendererIndex).href, preload: join(here, '../preload/index.cjs') };
}

/** The app's one main window: created on demand, focused when it exists. */
export interface MainWindows {
  current(): BrowserWindow | null;
  /** Shows the main window, creating it when there is none. */
  show(): BrowserWindow;
}

export interface AppContext {
  app: App;
  files: AppFiles;
  engine: EngineClient;
  router: Router;
  windows: MainWindows;
}

export interface AppModule {
  /** Installs the module's handlers; may wait (e.g. for app.whenReady()). */
  enable(context: AppContext): void | Promise<void>;
}
