/**
 * Data-dependent initialisation (Glow's ActNorm) from a new run's first training batch, before
 * step 1. It lives in the variables afterwards, so checkpoints carry it and a resumed run never
 * repeats it; a run restarted before its first checkpoint redoes it from the same batch and
 * noise (the same stream position and step-0 dequantisation seed), to the same values.
 */
import type { RunConfig } from '../../../src-shared/config';
import type { Dataset, StreamPosition } from '../../data/types';
import type { FlowModel } from '../flow/types';
import { batchToInput } from './objective';
import { deriveSeed } from './seeds';

export async function initializeFromData(model: FlowModel, dataset: Dataset, config: RunConfig, position: StreamPosition): Promise<void> {
  if (!model.initializeFromData) return;
  const { train } = config;
  const it = dataset.batches('train', { batchSize: train.batchSize, seed: train.seed, shuffle: true, start: position, dropLast: true })[Symbol.asyncIterator]();
  const { value: batch } = await it.next();
  await it.return?.();
  if (!batch) return;
  const x = batchToInput(batch, config.model, deriveSeed(train.seed, 'dequantize', 0));
  try {
    model.initializeFromData(x);
  } finally {
    x.dispose();
  }
}
