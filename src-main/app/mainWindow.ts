/** The studio window: locked-down web preferences, the built renderer, the engine's events. */
import { BrowserWindow } from 'electron';
import { IPC_EVENT_CHANNEL } from '../../src-shared/protocol';
import type { Router } from '../host/router';
import type { AppFiles, AppModule, MainWindows } from './context';

/** The window's options; the preload is the only bridge to the main process. */
export function windowOptions(files: AppFiles): Electron.BrowserWindowConstructorOptions {
  return {
    width: 1400,
    height: 900,
    title: 'FlowStudio',
    show: false,
    webPreferences: {
      preload: files.preload,
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      nodeIntegrationInWorker: false,
      nodeIntegrationInSubFrames: false,
      webSecurity: true,
      allowRunningInsecureContent: false,
      webviewTag: false,
    },
  };
}

export function createMainWindows(files: AppFiles, router: Router): MainWindows {
  let window: BrowserWindow | null = null;
  const open = (): BrowserWindow => {
    const created = new BrowserWindow(windowOptions(files));
    created.once('ready-to-show', () => created.show());
    const unsubscribe = router.onEvent((frame) => {
      if (!created.isDestroyed()) created.webContents.send(IPC_EVENT_CHANNEL, frame);
    });
    created.on('closed', () => {
      unsubscribe();
      if (window === created) window = null;
    });
    void created.loadFile(files.rendererIndex);
    return created;
  };
  return {
    current: () => (window && !window.isDestroyed() ? window : null),
    show() {
      if (!window || window.isDestroyed()) window = open();
      else window.focus();
      return window;
    },
  };
}

export const mainWindow: AppModule = {
  enable({ windows }) {
    windows.show();
  },
};
