/**
 * System store: backend and host info, engine errors and log lines. Errors from `error` events
 * and from failed commands land here as readable notices, so a failure never leaves a blank
 * screen.
 */
import { defineStore } from 'pinia';
import { ref } from 'vue';
import type { BackendInfo, EventPayload, HostInfo } from '../../../src-shared/protocol';
import { readableError } from '../lib/errors';
import { useConnection } from './connection';

export interface Notice {
  id: number;
  code: string;
  message: string;
  time: number;
  /** The engine process died: offer to restart it. */
  engineLost: boolean;
}

const MAX_NOTICES = 20;
const MAX_LOG = 300;

export const useSystemStore = defineStore('system', () => {
  const connection = useConnection();
  const backend = ref<BackendInfo | null>(null);
  const host = ref<HostInfo | null>(null);
  const errors = ref<Notice[]>([]);
  const log = ref<EventPayload<'log'>[]>([]);
  const loading = ref(false);
  const restarting = ref(false);
  /** False while the link to the host is down (serve mode: the WebSocket reconnects). */
  const connected = ref(true);
  let nextId = 1;

  async function refresh(): Promise<void> {
    loading.value = true;
    try {
      host.value = await connection.get().invoke('getHostInfo', {});
      backend.value = await connection.get().invoke('getBackendInfo', {});
    } catch (error) {
      const { code, message } = readableError(error);
      pushError(code, `Could not reach the engine: ${message}`);
    } finally {
      loading.value = false;
    }
  }

  function pushError(code: string, message: string, engineLost = false): void {
    // The same failure repeated (a crashing step loop) shows once, with the newest time.
    const rest = errors.value.filter((e) => !(e.code === code && e.message === message));
    errors.value = [...rest.slice(-(MAX_NOTICES - 1)), { id: nextId++, code, message, time: Date.now(), engineLost }];
  }

  /** A failed command, phrased as what the user tried to do. */
  function reportFailure(action: string, error: unknown): string {
    const { code, message } = readableError(error);
    const text = `Could not ${action}: ${message}`;
    pushError(code, text);
    return text;
  }

  function dismissError(id: number): void {
    errors.value = errors.value.filter((e) => e.id !== id);
  }

  async function restartEngine(): Promise<void> {
    restarting.value = true;
    try {
      await connection.get().invoke('restartEngine', {});
      errors.value = errors.value.filter((e) => !e.engineLost);
      await refresh();
    } catch (error) {
      reportFailure('restart the engine', error);
    } finally {
      restarting.value = false;
    }
  }

  /** Subscribes to `error` and `log` events; returns the unsubscribe function. */
  function attach(): () => void {
    const bridge = connection.get();
    const offError = bridge.on('error', (payload) => pushError(payload.code, payload.message, payload.engineLost));
    const offLog = bridge.on('log', (payload) => {
      log.value = [...log.value.slice(-(MAX_LOG - 1)), payload];
    });
    return () => {
      offError();
      offLog();
    };
  }

  return { backend, host, errors, log, loading, restarting, connected, refresh, pushError, reportFailure, dismissError, restartEngine, attach };
});
