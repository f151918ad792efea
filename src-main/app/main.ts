/**
 * Electron main process: one window, the engine in a utilityProcess, every IPC message
 * checked (sender frame and schema) by the same router the WebSocket host uses.
 * Security: contextIsolation, sandbox, no nodeIntegration, CSP, navigation and new windows
 * blocked, one instance.
 */
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { BrowserWindow, app, dialog, ipcMain, session, shell } from 'electron';
import { IPC_EVENT_CHANNEL, IPC_INVOKE_CHANNEL, PROTOCOL_VERSION } from '../../src-shared/protocol';
import { EngineClient } from '../host/engineClient';
import { appVersion } from '../host/paths';
import { Router } from '../host/router';
import { forkUtilityEngine } from './utilityChannel';

const here = fileURLToPath(new URL('.', import.meta.url));
const rendererIndex = join(here, '../renderer/index.html');
const rendererUrl = new URL(`file://${rendererIndex}`).href;
let requestCounter = 0;

function createWindow(router: Router): BrowserWindow {
  const window = new BrowserWindow({
    width: 1400,
    height: 900,
    title: 'FlowStudio',
    show: false,
    webPreferences: {
      preload: join(here, '../preload/index.cjs'),
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      webSecurity: true,
    },
  });
  window.once('ready-to-show', () => window.show());
  window.webContents.setWindowOpenHandler(({ url }) => {
    if (url.startsWith('https://')) void shell.openExternal(url);
    return { action: 'deny' };
  });
  window.webContents.on('will-navigate', (event) => event.preventDefault());
  const unsubscribe = router.onEvent((frame) => {
    if (!window.isDestroyed()) window.webContents.send(IPC_EVENT_CHANNEL, frame);
  });
  window.on('closed', unsubscribe);
  void window.loadFile(rendererIndex);
  return window;
}

async function main(): Promise<void> {
  if (!app.requestSingleInstanceLock()) {
    app.quit();
    return;
  }
  await app.whenReady();
  session.defaultSession.webRequest.onHeadersReceived((details, callback) => {
    callback({
      responseHeaders: {
        ...details.responseHeaders,
        'Content-Security-Policy': [
          "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; object-src 'none'; base-uri 'none'",
        ],
      },
    });
  });
  // A desktop app's working directory is arbitrary: keep runs and dataset caches in the
  // user's documents and cache folders unless the environment says otherwise.
  const engineEnv = {
    ...process.env,
    FLOWSTUDIO_RUNS: process.env['FLOWSTUDIO_RUNS'] ?? join(app.getPath('documents'), 'FlowStudio', 'runs'),
    FLOWSTUDIO_CACHE_DIR: process.env['FLOWSTUDIO_CACHE_DIR'] ?? join(app.getPath('userData'), 'dataset-cache'),
  };
  const engine = new EngineClient(() => forkUtilityEngine(join(here, 'engine.js'), engineEnv));
  let window: BrowserWindow | null = null;
  const router = new Router(engine, 'electron', appVersion(), {
    pickPath: async ({ kind, title }) => {
      const options: Electron.OpenDialogOptions = {
        title: title ?? (kind === 'folder' ? 'Choose a folder' : 'Choose a file'),
        properties: kind === 'folder' ? ['openDirectory'] : ['openFile'],
      };
      const picked = window ? await dialog.showOpenDialog(window, options) : await dialog.showOpenDialog(options);
      return { path: picked.canceled ? null : (picked.filePaths[0] ?? null) };
    },
  });

  ipcMain.handle(IPC_INVOKE_CHANNEL, async (event, command: unknown, args: unknown) => {
    // Only our own page may talk to the engine.
    const url = event.senderFrame?.url ?? '';
    if (!url.startsWith(rendererUrl)) {
      return { v: PROTOCOL_VERSION, type: 'response', id: null, ok: false, error: { code: 'BAD_FRAME', message: 'sender not allowed' } };
    }
    requestCounter += 1;
    return router.handle({ v: PROTOCOL_VERSION, type: 'request', id: requestCounter, command, args });
  });

  window = createWindow(router);
  app.on('second-instance', () => {
    if (!window || window.isDestroyed()) window = createWindow(router);
    window.focus();
  });
  app.on('window-all-closed', () => {
    engine.close();
    app.quit();
  });
}

void main();
