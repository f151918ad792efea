/**
 * The latent perturbation studio (paper Fig. 5): encode a real image, keep or resample the
 * latent of each multi-scale level at its own temperature, and decode; the two rows of Fig. 5
 * (keep the first k levels / resample the first k) as a grid; interpolation between images.
 */
import { defineStore } from 'pinia';
import { computed, ref, shallowRef, watch } from 'vue';
import type { CommandArgsIn, CommandResult, DatasetInfo, ImageRef, LevelControl } from '../../../src-shared/protocol';
import { readableError } from '../lib/errors';
import { createLatestRunner } from '../lib/latest';
import { useConnection } from './connection';
import { useRunsStore } from './runs';
import { useSystemStore } from './system';

export type ImageSource = 'dataset' | 'file';

/** Level 1 (finest, factored out first) resampled, the rest kept: a visible but gentle change. */
export function defaultLevels(count: number, temperature = 0.9): LevelControl[] {
  return Array.from({ length: count }, (_, i) => ({ keep: count > 1 ? i > 0 : false, temperature }));
}

export const useLatentStore = defineStore('latent', () => {
  const connection = useConnection();
  const runs = useRunsStore();
  const system = useSystemStore();

  const source = ref<ImageSource>('dataset');
  const dataSpec = ref('');
  const split = ref<'train' | 'test'>('test');
  const index = ref(0);
  const file = ref('');
  const levels = ref<LevelControl[]>([]);
  const seed = ref(7);
  const gridTemperature = ref(0.9);
  const indexB = ref(1);
  const steps = ref(8);

  const examples = shallowRef<DatasetInfo['examples']>([]);
  const perturbed = shallowRef<CommandResult<'perturb'> | null>(null);
  const grid = shallowRef<CommandResult<'perturbGrid'> | null>(null);
  const frames = shallowRef<CommandResult<'interpolate'>['frames']>([]);
  const busy = ref({ perturb: false, grid: false, interpolate: false, examples: false });
  const errors = ref<{ perturb: string | null; grid: string | null; interpolate: string | null; examples: string | null }>({
    perturb: null,
    grid: null,
    interpolate: null,
    examples: null,
  });

  const image = computed<ImageRef | null>(() => {
    if (source.value === 'file') return file.value.trim() ? { file: file.value.trim() } : null;
    return dataSpec.value.trim() ? { data: dataSpec.value.trim(), split: split.value, index: index.value } : null;
  });
  const imageB = computed<ImageRef | null>(() =>
    dataSpec.value.trim() ? { data: dataSpec.value.trim(), split: split.value, index: indexB.value } : null,
  );

  const setBusy = (key: keyof typeof busy.value) => (value: boolean) => {
    busy.value = { ...busy.value, [key]: value };
  };
  const setError = (key: keyof typeof errors.value, value: string | null): void => {
    errors.value = { ...errors.value, [key]: value };
  };

  const perturbRunner = createLatestRunner((a: CommandArgsIn<'perturb'>) => connection.get().invoke('perturb', a), {
    onResult: (r) => {
      perturbed.value = r;
      setError('perturb', null);
    },
    onError: (e) => setError('perturb', readableError(e).message),
    onBusyChange: setBusy('perturb'),
  });
  const gridRunner = createLatestRunner((a: CommandArgsIn<'perturbGrid'>) => connection.get().invoke('perturbGrid', a), {
    onResult: (r) => {
      grid.value = r;
      setError('grid', null);
    },
    onError: (e) => setError('grid', readableError(e).message),
    onBusyChange: setBusy('grid'),
  });
  const interpolateRunner = createLatestRunner((a: CommandArgsIn<'interpolate'>) => connection.get().invoke('interpolate', a), {
    onResult: (r) => {
      frames.value = r.frames;
      setError('interpolate', null);
    },
    onError: (e) => setError('interpolate', readableError(e).message),
    onBusyChange: setBusy('interpolate'),
  });
  const examplesRunner = createLatestRunner((spec: string) => connection.get().invoke('datasetInfo', { data: spec, examples: 12 }), {
    onResult: (r) => {
      examples.value = r.examples;
      setError('examples', null);
    },
    onError: (e) => setError('examples', readableError(e).message),
    onBusyChange: setBusy('examples'),
  });

  function requestPerturb(immediate = false): void {
    const run = runs.runRef;
    if (!run || !image.value || levels.value.length === 0) return;
    const args: CommandArgsIn<'perturb'> = { run, image: image.value, levels: levels.value.map((l) => ({ ...l })), seed: seed.value };
    if (immediate) perturbRunner.now(args);
    else perturbRunner.request(args);
  }

  function requestGrid(immediate = false): void {
    const run = runs.runRef;
    if (!run || !image.value) return;
    const args: CommandArgsIn<'perturbGrid'> = { run, image: image.value, temperature: gridTemperature.value, seed: seed.value };
    if (immediate) gridRunner.now(args);
    else gridRunner.request(args);
  }

  function interpolate(): void {
    const run = runs.runRef;
    if (!run || !image.value || !imageB.value) return;
    interpolateRunner.now({ run, a: image.value, b: imageB.value, steps: steps.value });
  }

  function loadExamples(): void {
    if (dataSpec.value.trim()) examplesRunner.now(dataSpec.value.trim());
  }

  /** Both views of the image: the per-level perturbation and the Fig. 5 grid. */
  function refreshAll(immediate = false): void {
    requestPerturb(immediate);
    requestGrid(immediate);
  }

  async function browse(): Promise<void> {
    try {
      const result = await connection.get().invoke('pickPath', { kind: 'file', title: 'Choose an image' });
      if (result.path) file.value = result.path;
    } catch (e) {
      system.reportFailure('open the file dialog', e);
    }
  }

  /** The examples datasetInfo returns come from the train split. */
  function pickExample(i: number): void {
    split.value = 'train';
    index.value = i;
  }

  function setLevel(i: number, patch: Partial<LevelControl>): void {
    levels.value = levels.value.map((l, j) => (j === i ? { ...l, ...patch } : l));
  }

  function reseed(random: () => number = Math.random): void {
    seed.value = Math.floor(random() * (2 ** 31 - 2));
  }

  // A different run: its levels, its data, nothing of the previous run's images.
  watch(
    () => runs.current,
    (run, previous) => {
      if (run?.summary.runDir === previous?.summary.runDir && run?.config === previous?.config) return;
      for (const r of [perturbRunner, gridRunner, interpolateRunner, examplesRunner]) r.cancel();
      perturbed.value = null;
      grid.value = null;
      frames.value = [];
      examples.value = [];
      levels.value = run ? defaultLevels(run.config.model.levels) : [];
      dataSpec.value = run?.config.data ?? '';
    },
    { immediate: true },
  );

  return {
    source,
    dataSpec,
    split,
    index,
    file,
    levels,
    seed,
    gridTemperature,
    indexB,
    steps,
    examples,
    perturbed,
    grid,
    frames,
    busy,
    errors,
    image,
    imageB,
    requestPerturb,
    requestGrid,
    interpolate,
    loadExamples,
    refreshAll,
    setLevel,
    pickExample,
    browse,
    reseed,
  };
});
