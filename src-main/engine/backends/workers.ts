/**
 * How many data-parallel workers a training step runs on (train/parallel/dataParallel.ts).
 * CPU backends only: on a GPU one process already has the device, and a second would only
 * share it. The default is every core this process may use (at most MAX_WORKERS): measured on
 * 2 idle cores (bench/RESULTS.md), 2 workers at one wasm thread each train fashion-mnist-small
 * faster than 1 at batch 16 and 64, where 2 wasm threads gain nothing at batch 16.
 * FLOWSTUDIO_WORKERS=N (CLI: `--workers N`) sets it; 1 trains in one process.
 */
import { availableParallelism } from 'node:os';
import type { BackendName } from '../../../src-shared/protocol';

/** More workers than this stop paying: each holds a model and a tape, and shards get small. */
export const MAX_WORKERS = 8;

/** FLOWSTUDIO_WORKERS (a whole number ≥ 1, or `all`), else every core; for CPU backends. */
export function requestedWorkers(value: string | undefined = process.env['FLOWSTUDIO_WORKERS']): number {
  const cores = Math.min(availableParallelism(), MAX_WORKERS);
  if (value === undefined || value.trim() === '' || value.trim() === 'all') return cores;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new Error(`FLOWSTUDIO_WORKERS must be a whole number ≥ 1 or "all", got "${value}"`);
  return n;
}

/** The workers a backend trains on: 1 unless it computes on the CPU. */
export function workersFor(backend: BackendName, value?: string): number {
  return backend === 'wasm' || backend === 'cpu' ? requestedWorkers(value) : 1;
}

/**
 * The workers one run uses: the backend's count, but no shard smaller than `MIN_SHARD`
 * examples (a smaller one costs a whole step's kernel dispatch for little work).
 */
export const MIN_SHARD = 4;
export function workersForBatch(workers: number, batchSize: number): number {
  return Math.max(1, Math.min(workers, Math.floor(batchSize / MIN_SHARD)));
}
