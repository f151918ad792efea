/** System commands answered by the engine. */
import type { BackendName, EngineCommandName, systemCommands } from '../../../src-shared/protocol';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { backendInfo, initBackend } from '../backend';
import type { Handlers } from '../context';

const started = Date.now();
// Samples how late timers fire: a training step or a scan that blocks the loop shows up here.
const loopDelay = monitorEventLoopDelay({ resolution: 10 });
loopDelay.enable();

/** The active backend, or null before the first command that needs one. */
function currentBackend(): { active: BackendName; reason: string } | null {
  try {
    const info = backendInfo();
    return { active: info.active, reason: info.reason };
  } catch {
    return null;
  }
}

export const systemHandlers: Handlers<Extract<keyof typeof systemCommands, EngineCommandName>> = {
  ping: async ({ nonce }) => ({ nonce, pid: process.pid, uptimeMs: Date.now() - started }),
  getBackendInfo: async () => {
    await initBackend();
    return backendInfo();
  },
  requestStats: async (_args, ctx) => ctx.requestStats(),
  health: async () => {
    const ms = (ns: number): number => (Number.isFinite(ns) ? ns / 1e6 : 0);
    const eventLoopLagMs = { mean: ms(loopDelay.mean), max: ms(loopDelay.max) };
    loopDelay.reset();
    // Only the host sees every request in flight; it fills pendingRequests in (host/router.ts).
    return { pid: process.pid, uptimeMs: Date.now() - started, backend: currentBackend(), eventLoopLagMs, pendingRequests: null };
  },
};
