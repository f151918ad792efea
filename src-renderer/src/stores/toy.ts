/**
 * The toy lab (paper Fig. 3 / 7): train a flow on a 2-D toy density and watch the density
 * estimate and the data pushed through every intermediate layer, refreshed while it trains
 * (at most every `REFRESH_MS`, one request of each kind in flight).
 */
import { defineStore } from 'pinia';
import { computed, ref, shallowRef } from 'vue';
import { type PresetName, PresetNameSchema, type RunOverrides } from '../../../src-shared/config';
import { type ToyName, ToyNameSchema } from '../../../src-shared/dataSpec';
import type { CommandResult } from '../../../src-shared/protocol';
import { readableError } from '../lib/errors';
import { createLatestRunner } from '../lib/latest';
import { useConnection } from './connection';
import { useRunsStore } from './runs';

export const TOYS: readonly ToyName[] = ToyNameSchema.options;
/** The flows the lab trains: the paper's building block (toy2d) and a toy of each baseline coupling. */
export const TOY_FLOWS: readonly PresetName[] = PresetNameSchema.options.filter((name) => name === 'toy2d' || name.startsWith('toy2d-'));
export const REFRESH_MS = 1500;

export interface ToySettings {
  steps: number;
  blocks: number;
  hidden: number;
  batchSize: number;
  learningRate: number;
}

export const DEFAULT_TOY_SETTINGS: ToySettings = { steps: 1500, blocks: 8, hidden: 64, batchSize: 256, learningRate: 0.01 };

/** The overrides of a toy preset for these settings (the rest stays the preset's). */
export function toyOverrides(toy: ToyName, s: ToySettings): RunOverrides {
  return {
    data: `toy:${toy}`,
    model: { blocksPerLevel: s.blocks, coupling: { hidden: s.hidden } },
    train: { steps: s.steps, batchSize: s.batchSize, learningRate: { initial: s.learningRate } },
  };
}

export const useToyStore = defineStore('toy', () => {
  const connection = useConnection();
  const runs = useRunsStore();

  const toy = ref<ToyName>('two-moons');
  const flow = ref<PresetName>('toy2d');
  const settings = ref<ToySettings>({ ...DEFAULT_TOY_SETTINGS });
  const resolution = ref(96);
  const pointCount = ref(1500);
  const dataPoints = shallowRef<number[]>([]);
  const density = shallowRef<CommandResult<'toyDensity'> | null>(null);
  const layers = shallowRef<CommandResult<'toyLayers'>['layers']>([]);
  const busy = ref(false);
  const error = ref<string | null>(null);
  let lastRefresh = -Infinity;
  let timer: ReturnType<typeof setTimeout> | null = null;

  /** Whether the run on screen is a toy run this lab can show. */
  const hasToyRun = computed(() => runs.isToy && runs.runRef !== null);

  let pending = 0;
  const track = (b: boolean): void => {
    pending += b ? 1 : -1;
    busy.value = pending > 0;
  };
  const densityRunner = createLatestRunner(
    (a: { run: NonNullable<typeof runs.runRef>; resolution: number }) => connection.get().invoke('toyDensity', { ...a, extent: 4 }),
    { onResult: (r) => (density.value = r), onError: (e) => (error.value = readableError(e).message), onBusyChange: track },
    0,
  );
  const layersRunner = createLatestRunner(
    (a: { run: NonNullable<typeof runs.runRef>; n: number }) => connection.get().invoke('toyLayers', a),
    {
      onResult: (r) => {
        layers.value = r.layers;
        error.value = null;
      },
      onError: (e) => (error.value = readableError(e).message),
      onBusyChange: track,
    },
    0,
  );

  function refresh(): void {
    const run = runs.runRef;
    if (!run || !runs.isToy) return;
    lastRefresh = Date.now();
    densityRunner.now({ run, resolution: resolution.value });
    layersRunner.now({ run, n: pointCount.value });
  }

  /** Called on every metrics record: refreshes at most every REFRESH_MS, and once after the last. */
  function refreshThrottled(): void {
    if (timer !== null) return;
    const wait = Math.max(0, lastRefresh + REFRESH_MS - Date.now());
    timer = setTimeout(() => {
      timer = null;
      refresh();
    }, wait);
  }

  async function loadDataPoints(): Promise<void> {
    try {
      const info = await connection.get().invoke('datasetInfo', { data: `toy:${toy.value}`, examples: 0 });
      dataPoints.value = info.points ?? [];
    } catch (e) {
      error.value = readableError(e).message;
    }
  }

  async function start(): Promise<boolean> {
    densityRunner.cancel();
    layersRunner.cancel();
    density.value = null;
    layers.value = [];
    error.value = null;
    return runs.start(flow.value, toyOverrides(toy.value, settings.value));
  }

  function stopRefreshing(): void {
    if (timer !== null) clearTimeout(timer);
    timer = null;
  }

  return {
    toy,
    flow,
    settings,
    resolution,
    pointCount,
    dataPoints,
    density,
    layers,
    busy,
    error,
    hasToyRun,
    refresh,
    refreshThrottled,
    loadDataPoints,
    start,
    stopRefreshing,
  };
});
