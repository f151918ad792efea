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
 * The workers one run uses: the backend's count, but no shard smaller than MIN_SHARD examples
 * or MIN_SHARD_VALUES input numbers. A shard costs a whole step's kernel dispatch however little
 * it holds, so a small one buys nothing: measured idle on 2 cores (bench/RESULTS.md), toy2d
 * (2 numbers per example) trained slower on 2 workers at batch 256 (1 956 against 2 850
 * points/s: shards of 256 numbers) and at 64, fashion-mnist-small faster from batch 16 (shards of
 * 8 × 784 = 6 272 numbers). The threshold sits between the two; it is not pinned finer.
 */
export const MIN_SHARD = 4;
export const MIN_SHARD_VALUES = 1024;
export function workersForBatch(workers: number, batchSize: number, valuesPerExample: number): number {
  const byExamples = Math.floor(batchSize / MIN_SHARD);
  const byValues = Math.floor((batchSize * valuesPerExample) / MIN_SHARD_VALUES);
  return Math.max(1, Math.min(workers, byExamples, byValues));
}
