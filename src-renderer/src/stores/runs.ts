/**
 * The run on screen and the runs the engine knows. Starting, opening and controlling runs,
 * the metric history (a non-reactive RunHistory the charts subscribe to), progress and ETA,
 * and the reference bounds. After a window reload `restore()` finds the active run and
 * re-opens it, so the charts come back and the `metrics` stream carries on.
 */
import { defineStore } from 'pinia';
import { lossUnit } from '../../../src-shared/lossUnit';
import { computed, markRaw, ref, shallowRef } from 'vue';
import type { PresetName, RunConfig, RunOverrides } from '../../../src-shared/config';
import {
  type Bounds,
  BoundsSchema,
  type EventPayload,
  type LayerDescriptor,
  type MetricsRecord,
  type RunRef,
  type RunState,
  type RunSummary,
} from '../../../src-shared/protocol';
import { describeFailure } from '../lib/errors';
import { RunHistory } from '../lib/history';
import { throttle } from '../lib/throttle';
import { useConnection } from './connection';
import { useSystemStore } from './system';

export interface OpenRun {
  summary: RunSummary;
  config: RunConfig;
  layers: LayerDescriptor[];
}

export type ControlAction = 'pause' | 'resume' | 'stop';

const LIVE_STATES: readonly RunState[] = ['starting', 'running', 'paused', 'stopping'];
export const LAST_RUN_KEY = 'flowstudio.lastRunDir';
/**
 * Cached reference lines per dataset. They are computed on the test split, the split of the
 * test curve they are drawn beside (the key changed when they moved off the train split, so a
 * train-split value cached by an older version is not reused).
 */
const BOUNDS_KEY = 'flowstudio.bounds.test:';
/** How many points openRun returns at most (the engine decimates older history). */
export const RESTORE_MAX_POINTS = 20_000;
/** Progress numbers refresh at most this often (the charts follow every record). */
export const PROGRESS_INTERVAL_MS = 100;

export function isLive(state: RunState): boolean {
  return LIVE_STATES.includes(state);
}

/**
 * The newest value of every metric, looking back over the last records: an evaluation-only
 * record (test NLL at the final step) must not blank the train loss, lr or throughput shown.
 */
export function newestValues(records: readonly MetricsRecord[], lookBack = 200): MetricsRecord | null {
  const last = records[records.length - 1];
  if (!last) return null;
  const merged: Record<string, unknown> = { ...last };
  for (let i = records.length - 2; i >= Math.max(0, records.length - lookBack); i--) {
    for (const [key, value] of Object.entries(records[i]!)) if (merged[key] === undefined) merged[key] = value;
  }
  return merged as MetricsRecord;
}

/** Steps per second over the newest records (about the last 20 s, at most 200 records). */
export function stepRate(records: readonly MetricsRecord[]): number | null {
  const last = records[records.length - 1];
  if (!last) return null;
  let first = last;
  for (let i = records.length - 2; i >= Math.max(0, records.length - 200); i--) {
    first = records[i]!;
    if (last.time - first.time > 20_000) break;
  }
  const dt = (last.time - first.time) / 1000;
  return dt > 0 && last.step > first.step ? (last.step - first.step) / dt : null;
}

function storage(): Storage | null {
  try {
    return typeof localStorage === 'undefined' ? null : localStorage;
  } catch {
    return null;
  }
}

export const useRunsStore = defineStore('runs', () => {
  const connection = useConnection();
  const system = useSystemStore();

  const history = markRaw(new RunHistory());
  const current = shallowRef<OpenRun | null>(null);
  /** Newest value of each metric of the run on screen (progress, headers; charts read `history`). */
  const latest = shallowRef<MetricsRecord | null>(null);
  const rate = ref<number | null>(null);
  const active = shallowRef<RunSummary[]>([]);
  const onDisk = shallowRef<RunSummary[]>([]);
  const tasks = ref<EventPayload<'progress'>[]>([]);
  const bounds = shallowRef<Bounds | null>(null);
  const boundsBusy = ref(false);
  const listLoading = ref(false);
  const opening = ref(false);
  const starting = ref(false);
  const controlling = ref<ControlAction | null>(null);
  /** Why the last start failed, shown next to the Start button that was pressed. */
  const startError = ref<string | null>(null);
  /** Why continuing the run on screen failed (shown beside its Continue button). */
  const continueError = ref<string | null>(null);

  /** Metrics that arrive while openRun/startTraining is in flight, replayed after it answers. */
  let buffered: EventPayload<'metrics'>[] | null = null;

  const commitLatest = throttle(() => {
    latest.value = newestValues(history.records);
    rate.value = stepRate(history.records);
  }, PROGRESS_INTERVAL_MS);

  const summary = computed(() => current.value?.summary ?? null);
  const isToy = computed(() => (current.value ? lossUnit(current.value.config.model) === 'nats' : false));
  const live = computed(() => (summary.value ? isLive(summary.value.state) : false));
  /** The reference commands such as `sample` take: the live model by id, else the folder. */
  const runRef = computed<RunRef | null>(() => {
    const s = summary.value;
    if (!s) return null;
    return isLive(s.state) ? { runId: s.runId } : { runDir: s.runDir };
  });
  const step = computed(() => Math.max(summary.value?.step ?? 0, latest.value?.step ?? 0));
  const fraction = computed(() => {
    const total = summary.value?.totalSteps ?? 0;
    return total > 0 ? Math.min(1, step.value / total) : 0;
  });
  const etaSeconds = computed(() => {
    const s = summary.value;
    if (!s || s.state !== 'running' || !rate.value) return null;
    return Math.max(0, s.totalSteps - step.value) / rate.value;
  });

  function setCurrent(run: OpenRun, records: readonly MetricsRecord[]): void {
    current.value = run;
    history.replace(records);
    const replay = (buffered ?? []).filter((b) => b.runId === run.summary.runId).flatMap((b) => b.records);
    buffered = null;
    history.append(replay);
    commitLatest.cancel();
    latest.value = newestValues(history.records);
    rate.value = stepRate(history.records);
    bounds.value = cachedBounds(run.config.data);
    storage()?.setItem(LAST_RUN_KEY, run.summary.runDir);
    upsert(run.summary);
  }

  /** The engine batches records (every record since its previous event, in order). */
  function onMetrics(payload: EventPayload<'metrics'>): void {
    if (buffered) {
      buffered.push(payload);
      return;
    }
    if (current.value?.summary.runId !== payload.runId) return;
    history.append(payload.records);
    commitLatest();
  }

  function onState({ run, message }: EventPayload<'state'>): void {
    upsert(run);
    if (current.value?.summary.runId === run.runId) current.value = { ...current.value, summary: run };
    if (run.state === 'failed') system.pushError('RUN_FAILED', `Run ${run.runId} failed${message ? `: ${message}` : ''}`);
    // A run that ended reports no more progress: drop its tasks (the engine prefixes them with its id).
    if (!isLive(run.state)) tasks.value = tasks.value.filter((t) => !t.taskId.startsWith(`${run.runId}:`));
  }

  function onProgress(payload: EventPayload<'progress'>): void {
    const done = payload.total !== null && payload.done >= payload.total;
    const others = tasks.value.filter((t) => t.taskId !== payload.taskId);
    tasks.value = done ? others : [...others, payload];
  }

  /** Keeps the run lists in step with state events (a live run moves to disk when it ends). */
  function upsert(run: RunSummary): void {
    const without = (list: RunSummary[]): RunSummary[] => list.filter((r) => r.runId !== run.runId && r.runDir !== run.runDir);
    if (isLive(run.state)) {
      active.value = [run, ...without(active.value)];
      onDisk.value = without(onDisk.value);
    } else {
      active.value = without(active.value);
      onDisk.value = [run, ...without(onDisk.value)];
    }
  }

  function attach(): () => void {
    const bridge = connection.get();
    const offs = [bridge.on('metrics', onMetrics), bridge.on('state', onState), bridge.on('progress', onProgress)];
    return () => offs.forEach((off) => off());
  }

  async function refreshList(): Promise<void> {
    listLoading.value = true;
    try {
      const result = await connection.get().invoke('listRuns', {});
      active.value = result.active;
      onDisk.value = result.onDisk;
    } catch (e) {
      system.reportFailure('list runs', e);
    } finally {
      listLoading.value = false;
    }
  }

  async function open(ref: RunRef): Promise<boolean> {
    opening.value = true;
    buffered = [];
    try {
      const result = await connection.get().invoke('openRun', { run: ref, maxPoints: RESTORE_MAX_POINTS });
      setCurrent({ summary: result.run, config: result.config, layers: result.layers }, result.metrics);
      return true;
    } catch (e) {
      buffered = null;
      system.reportFailure('open the run', e);
      return false;
    } finally {
      opening.value = false;
    }
  }

  /**
   * After a reload: reopen the live run (running first), else the run last looked at. Returns
   * whether a run was opened.
   */
  async function restore(): Promise<boolean> {
    await refreshList();
    const order: RunState[] = ['running', 'paused', 'starting', 'stopping'];
    const liveRun = [...active.value].sort((a, b) => order.indexOf(a.state) - order.indexOf(b.state))[0];
    if (liveRun) return open({ runId: liveRun.runId });
    const lastDir = storage()?.getItem(LAST_RUN_KEY);
    if (lastDir && onDisk.value.some((r) => r.runDir === lastDir)) return open({ runDir: lastDir });
    return false;
  }

  async function start(preset: PresetName, overrides: RunOverrides, resumeFrom?: string): Promise<boolean> {
    starting.value = true;
    startError.value = null;
    buffered = [];
    try {
      const where = resumeFrom ? { runDir: resumeFrom, resume: true } : {};
      const result = await connection.get().invoke('startTraining', { preset, overrides, ...where });
      setCurrent({ summary: result.run, config: result.config, layers: result.layers }, []);
      // A resumed run has a past: bring its history back (records it will redo are replaced).
      if (resumeFrom) await open({ runId: result.run.runId });
      return true;
    } catch (e) {
      buffered = null;
      startError.value = describeFailure('start training', e);
      return false;
    } finally {
      starting.value = false;
    }
  }

  /** Continues the run on screen from its last checkpoint, up to `totalSteps` in all. */
  async function continueRun(totalSteps: number): Promise<boolean> {
    const s = summary.value;
    if (!s || isLive(s.state)) return false;
    continueError.value = null;
    const ok = await start(s.preset, { train: { steps: totalSteps } }, s.runDir);
    if (!ok) {
      continueError.value = startError.value?.replace('start training', 'continue the run') ?? null;
      startError.value = null;
    }
    return ok;
  }

  async function control(action: ControlAction): Promise<void> {
    const s = summary.value;
    if (!s) return;
    controlling.value = action;
    try {
      const result = await connection.get().invoke('controlTraining', { runId: s.runId, action });
      onState({ run: result.run });
    } catch (e) {
      system.reportFailure(`${action} the run`, e);
    } finally {
      controlling.value = null;
    }
  }

  async function computeBounds(): Promise<void> {
    const run = current.value;
    if (!run) return;
    boundsBusy.value = true;
    try {
      // heldOut: the Gaussian fitted on train, evaluated on test (what a trained linear flow gets).
      const result = await connection.get().invoke('bounds', { data: run.config.data, split: 'test', heldOut: true });
      storage()?.setItem(BOUNDS_KEY + run.config.data, JSON.stringify(result));
      if (current.value?.config.data === run.config.data) bounds.value = result;
    } catch (e) {
      system.reportFailure('compute the reference bounds', e);
    } finally {
      boundsBusy.value = false;
    }
  }

  function cachedBounds(data: string): Bounds | null {
    const text = storage()?.getItem(BOUNDS_KEY + data);
    if (!text) return null;
    try {
      const parsed = BoundsSchema.safeParse(JSON.parse(text));
      return parsed.success ? parsed.data : null;
    } catch {
      return null;
    }
  }

  return {
    history,
    current,
    latest,
    rate,
    active,
    onDisk,
    tasks,
    bounds,
    boundsBusy,
    listLoading,
    opening,
    starting,
    controlling,
    startError,
    continueError,
    summary,
    isToy,
    live,
    runRef,
    step,
    fraction,
    etaSeconds,
    attach,
    refreshList,
    open,
    restore,
    start,
    continueRun,
    control,
    computeBounds,
  };
});
