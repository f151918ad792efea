/**
 * The sampler: a grid of samples at a temperature. Moving the slider re-samples (debounced,
 * one request in flight, stale answers dropped); the image on screen stays until the new one
 * arrives, with a busy state meanwhile.
 */
import { defineStore } from 'pinia';
import { computed, ref, shallowRef, watch } from 'vue';
import type { CommandArgsIn, CommandResult } from '../../../src-shared/protocol';
import { describeFailure } from '../lib/errors';
import { createLatestRunner } from '../lib/latest';
import { downloadPng } from '../lib/png';
import { useConnection } from './connection';
import { useRunsStore } from './runs';

export const TEMPERATURE_MIN = 0;
export const TEMPERATURE_MAX = 1.2;
export const DEFAULT_TEMPERATURE = 0.9;
export const GRID_SIZES = [2, 4, 6, 8] as const;

export const useSamplerStore = defineStore('sampler', () => {
  const connection = useConnection();
  const runs = useRunsStore();

  const temperature = ref(DEFAULT_TEMPERATURE);
  /** Samples per side of the square grid. */
  const gridSize = ref<number>(4);
  const seed = ref(1);
  const result = shallowRef<CommandResult<'sample'> | null>(null);
  const busy = ref(false);
  const error = ref<string | null>(null);

  const args = computed<CommandArgsIn<'sample'> | null>(() => {
    const run = runs.runRef;
    // 2-D toys have no image samples (the toy lab shows them).
    if (!run || runs.isToy) return null;
    return { run, n: gridSize.value * gridSize.value, columns: gridSize.value, temperature: temperature.value, seed: seed.value };
  });

  /** Arguments of the last request sent, so a watcher firing again for them sends nothing. */
  let lastSent = '';

  const runner = createLatestRunner((a: CommandArgsIn<'sample'>) => connection.get().invoke('sample', a), {
    onResult: (r) => {
      result.value = r;
      error.value = null;
    },
    onError: (e) => {
      lastSent = '';
      error.value = describeFailure('sample', e);
    },
    onBusyChange: (b) => {
      busy.value = b;
    },
  });

  /** Debounced refresh (slider drags); nothing is sent when the arguments did not change. */
  function request(): void {
    if (!args.value) return;
    const key = JSON.stringify(args.value);
    if (key === lastSent) return;
    lastSent = key;
    runner.request(args.value);
  }

  /** Immediate refresh, even with unchanged arguments (the live model may have improved). */
  function refreshNow(): void {
    if (!args.value) return;
    lastSent = JSON.stringify(args.value);
    runner.now(args.value);
  }

  /** New seed, new samples. */
  function regenerate(random: () => number = Math.random): void {
    seed.value = Math.floor(random() * 2 ** 31 - 1) % (2 ** 31 - 1);
    refreshNow();
  }

  function exportPng(): void {
    if (!result.value) return;
    const run = runs.summary?.runId ?? 'run';
    downloadPng(result.value.grid, `${run}-samples-T${result.value.temperature.toFixed(2)}-seed${seed.value}-step${result.value.step}.png`);
  }

  // Another run on screen: its samples are not this run's.
  watch(
    () => runs.summary?.runDir,
    () => {
      runner.cancel();
      lastSent = '';
      result.value = null;
      error.value = null;
    },
  );

  return { temperature, gridSize, seed, result, busy, error, args, request, refreshNow, regenerate, exportPng };
});
