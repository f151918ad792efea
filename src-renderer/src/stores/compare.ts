/**
 * Run comparison: the runs picked (by folder), each one's config and metric history read with
 * `openRun` (reading a run's files has no effect on the engine or the run on screen). The
 * curves are overlaid in one unit: bits/dim for image runs, nats for 2-D toys; runs of the
 * other unit than the first picked are listed but not drawn.
 */
import { defineStore } from 'pinia';
import { computed, ref, shallowRef } from 'vue';
import type { RunConfig } from '../../../src-shared/config';
import { type LossUnit, lossUnit } from '../../../src-shared/lossUnit';
import type { LayerDescriptor, MetricsRecord, RunSummary } from '../../../src-shared/protocol';
import { describeFailure } from '../lib/errors';
import { useConnection } from './connection';
import { isLive, useRunsStore } from './runs';

/** Points per run: enough for a smooth curve, few enough to draw many runs at once. */
export const COMPARE_MAX_POINTS = 2000;
export const COMPARE_KEY = 'flowstudio.compare';

export interface ComparedRun {
  summary: RunSummary;
  config: RunConfig;
  unit: LossUnit;
  metrics: MetricsRecord[];
  /** The run's layers (`layerLogdet` order): the log-det comparison groups them by level. */
  layers: LayerDescriptor[];
}

function storage(): Storage | null {
  try {
    return typeof localStorage === 'undefined' ? null : localStorage;
  } catch {
    return null;
  }
}

function savedSelection(): string[] {
  try {
    const parsed: unknown = JSON.parse(storage()?.getItem(COMPARE_KEY) ?? '[]');
    return Array.isArray(parsed) ? parsed.filter((d): d is string => typeof d === 'string') : [];
  } catch {
    return [];
  }
}

export const useCompareStore = defineStore('compare', () => {
  const connection = useConnection();
  const runs = useRunsStore();
  /** Run folders in the order they were picked. */
  const selected = ref<string[]>(savedSelection());
  const loaded = shallowRef<Record<string, ComparedRun>>({});
  const loading = ref(false);
  const error = ref<string | null>(null);

  const all = computed<RunSummary[]>(() => [...runs.active, ...runs.onDisk]);
  const compared = computed<ComparedRun[]>(() => selected.value.map((dir) => loaded.value[dir]).filter((r): r is ComparedRun => r !== undefined));
  /** The unit of the first run picked; the chart draws the runs that share it. */
  const unit = computed<LossUnit | null>(() => compared.value[0]?.unit ?? null);
  const drawn = computed(() => compared.value.filter((r) => r.unit === unit.value));
  const otherUnit = computed(() => compared.value.filter((r) => r.unit !== unit.value));

  async function load(dirs: readonly string[], force = false): Promise<void> {
    const missing = dirs.filter((dir) => force || !loaded.value[dir]);
    if (missing.length === 0) return;
    loading.value = true;
    error.value = null;
    try {
      const next = { ...loaded.value };
      for (const dir of missing) {
        const summary = all.value.find((r) => r.runDir === dir);
        const ref = summary && isLive(summary.state) ? { runId: summary.runId } : { runDir: dir };
        try {
          const result = await connection.get().invoke('openRun', { run: ref, maxPoints: COMPARE_MAX_POINTS });
          next[dir] = { summary: result.run, config: result.config, unit: lossUnit(result.config.model), metrics: result.metrics, layers: result.layers };
        } catch (e) {
          error.value = describeFailure(`read ${dir}`, e);
          selected.value = selected.value.filter((d) => d !== dir);
        }
      }
      loaded.value = next;
    } finally {
      loading.value = false;
      save();
    }
  }

  function save(): void {
    storage()?.setItem(COMPARE_KEY, JSON.stringify(selected.value));
  }

  async function toggle(runDir: string): Promise<void> {
    if (selected.value.includes(runDir)) {
      selected.value = selected.value.filter((d) => d !== runDir);
      save();
      return;
    }
    selected.value = [...selected.value, runDir];
    await load([runDir]);
  }

  /** Reads the picked runs again (live runs have moved on). */
  async function refresh(): Promise<void> {
    await load(selected.value, true);
  }

  /** After a reload: drop picks whose folder is gone, read the rest. */
  async function restore(): Promise<void> {
    // The run list arrives after the app starts: until it does, keep the picks as they are.
    if (all.value.length === 0) return;
    const known = new Set(all.value.map((r) => r.runDir));
    selected.value = selected.value.filter((d) => known.has(d));
    await load(selected.value);
  }

  return { selected, compared, drawn, otherUnit, unit, loading, error, all, toggle, refresh, restore };
});
