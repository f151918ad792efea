/** System commands answered by the engine. */
import { backendInfo, initBackend } from '../backend';
import type { HandlerMap } from '../context';

const started = Date.now();

export const systemHandlers: HandlerMap = {
  ping: async ({ nonce }) => ({ nonce, pid: process.pid, uptimeMs: Date.now() - started }),
  getBackendInfo: async () => {
    await initBackend();
    return backendInfo();
  },
};
