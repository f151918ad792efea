/**
 * Holds the one Bridge every store talks through. Bound once at start-up (main.ts) or by a
 * test with an in-memory bridge; nothing else in the renderer reaches the host.
 */
import { defineStore } from 'pinia';
import { markRaw, shallowRef } from 'vue';
import type { Bridge } from '../../../src-shared/protocol';

export const useConnection = defineStore('connection', () => {
  const bridge = shallowRef<Bridge | null>(null);

  function bind(value: Bridge): void {
    bridge.value = markRaw(value);
  }

  function get(): Bridge {
    if (!bridge.value) throw new Error('no bridge bound: call useConnection().bind(bridge) first');
    return bridge.value;
  }

  return { bridge, bind, get };
});
