/** System store: backend and host info, engine errors. Depends only on the Bridge. */
import { defineStore } from 'pinia';
import { ref } from 'vue';
import type { BackendInfo, Bridge, HostInfo } from '../../../src-shared/protocol';

export const useSystemStore = defineStore('system', () => {
  const backend = ref<BackendInfo | null>(null);
  const host = ref<HostInfo | null>(null);
  const errors = ref<{ code: string; message: string; time: number }[]>([]);
  const loading = ref(false);

  async function refresh(bridge: Bridge): Promise<void> {
    loading.value = true;
    try {
      host.value = await bridge.invoke('getHostInfo', {});
      backend.value = await bridge.invoke('getBackendInfo', {});
    } catch (error) {
      pushError('BACKEND', error instanceof Error ? error.message : String(error));
    } finally {
      loading.value = false;
    }
  }

  function pushError(code: string, message: string): void {
    errors.value = [...errors.value.slice(-19), { code, message, time: Date.now() }];
  }

  function dismissError(index: number): void {
    errors.value = errors.value.filter((_, i) => i !== index);
  }

  function attach(bridge: Bridge): () => void {
    return bridge.on('error', (payload) => pushError(payload.code, payload.message));
  }

  return { backend, host, errors, loading, refresh, pushError, dismissError, attach };
});
