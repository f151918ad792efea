/** System commands answered by the engine. */
import type { EngineCommandName, systemCommands } from '../../../src-shared/protocol';
import { backendInfo, initBackend } from '../backend';
import type { Handlers } from '../context';

const started = Date.now();

export const systemHandlers: Handlers<Extract<keyof typeof systemCommands, EngineCommandName>> = {
  ping: async ({ nonce }) => ({ nonce, pid: process.pid, uptimeMs: Date.now() - started }),
  getBackendInfo: async () => {
    await initBackend();
    return backendInfo();
  },
  requestStats: async (_args, ctx) => ctx.requestStats(),
};
