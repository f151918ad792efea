/**
 * Preload (sandboxed, bundled to one CommonJS file): exposes only `window.flowstudio`, a typed
 * invoke over an allowlist of command names and one event subscription. Never raw ipcRenderer.
 */
import { contextBridge, ipcRenderer } from 'electron';
import type { PreloadApi } from '../../src-shared/protocol/bridge';
import { COMMAND_NAME_LIST, IPC_EVENT_CHANNEL, IPC_INVOKE_CHANNEL } from '../../src-shared/protocol/names';

const allowed = new Set<string>(COMMAND_NAME_LIST);

const api: PreloadApi = {
  invoke(command, args) {
    if (typeof command !== 'string' || !allowed.has(command)) {
      return Promise.reject(new Error(`command "${String(command)}" is not allowed`));
    }
    return ipcRenderer.invoke(IPC_INVOKE_CHANNEL, command, args);
  },
  on(listener) {
    const wrapped = (_event: unknown, frame: unknown): void => listener(frame);
    ipcRenderer.on(IPC_EVENT_CHANNEL, wrapped);
    return () => {
      ipcRenderer.removeListener(IPC_EVENT_CHANNEL, wrapped);
    };
  },
};

contextBridge.exposeInMainWorld('flowstudio', api);
