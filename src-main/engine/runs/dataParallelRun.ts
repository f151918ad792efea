/**
 * Whether a run trains data-parallel, and its worker group when it does: the backend's worker
 * count (backends/workers.ts) for CPU backends, reduced so that no shard is too small to pay
 * (MIN_SHARD examples, MIN_SHARD_VALUES input numbers). The group is started here (the workers build their models while the
 * trainer initialises and evaluates step 0) and logged with what it runs on.
 */
import type { RunConfig } from '../../../src-shared/config';
import { memoryModeOf } from '../../../src-shared/config';
import { backendInfo } from '../backend';
import { workersForBatch } from '../backends/workers';
import { DataParallelGradients } from '../train/parallel/dataParallel';

export function startDataParallel(config: RunConfig, seed: number, log?: (level: 'info' | 'warn', message: string) => void): DataParallelGradients | null {
  const info = backendInfo();
  if (info.active !== 'wasm' && info.active !== 'cpu') return null;
  const values = config.model.inputShape.reduce((a, b) => a * b, 1);
  const workers = workersForBatch(info.workers ?? 1, config.train.batchSize, values);
  if (workers < 2) return null;
  const threads = info.threads ?? 1;
  log?.('info', `training data-parallel on ${workers} workers (${info.active}${info.active === 'wasm' ? `, ${threads} thread${threads === 1 ? '' : 's'} each` : ''}), batch ${config.train.batchSize} split into ${workers} shards`);
  return new DataParallelGradients({ config: config.model, seed, workers, backend: info.active, memory: memoryModeOf(config), onLog: log });
}
