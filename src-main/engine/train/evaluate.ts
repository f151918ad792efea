/**
 * Evaluation: mean loss (bpd for images, nats for toys) over the first `limit` examples of a
 * split, with dequantisation noise from a fixed seed so repeated evaluations of the same
 * weights agree exactly.
 */
import type { ModelConfig } from '../../../src-shared/config';
import type { Dataset, Split } from '../../data/types';
import type { FlowModel } from '../flow/types';
import { tf } from '../tf';
import { batchToInput, perExampleLoss } from './objective';

export interface EvaluateOptions {
  model: FlowModel;
  config: ModelConfig;
  dataset: Dataset;
  split: Split;
  limit: number;
  batchSize: number;
  seed: number;
  onProgress?: (done: number, total: number) => void;
}

export interface EvaluateResult {
  mean: number;
  /** Standard error of the mean over examples. */
  standardError: number;
  count: number;
}

export async function evaluate(options: EvaluateOptions): Promise<EvaluateResult> {
  const { model, config, dataset, split, batchSize, seed } = options;
  const total = Math.min(options.limit, split === 'train' ? dataset.info.trainCount : dataset.info.testCount);
  if (total <= 0) throw new Error(`the ${split} split of ${dataset.info.spec} is empty: nothing to evaluate`);
  let sum = 0;
  let sumSq = 0;
  let count = 0;
  let batchIndex = 0;
  for await (const batch of dataset.batches(split, { batchSize, seed: 0, shuffle: false, epochs: 1, dropLast: false, limit: total })) {
    const values = tf.tidy(() => {
      const x = batchToInput(batch, config, seed + batchIndex);
      return perExampleLoss(model, config, x).loss;
    });
    const data = await values.data();
    values.dispose();
    for (const v of data) {
      sum += v;
      sumSq += v * v;
    }
    count += data.length;
    batchIndex += 1;
    options.onProgress?.(count, total);
    await new Promise((resolve) => setImmediate(resolve));
  }
  const mean = sum / count;
  const variance = Math.max(0, sumSq / count - mean * mean);
  return { mean, standardError: Math.sqrt(variance / count), count };
}
