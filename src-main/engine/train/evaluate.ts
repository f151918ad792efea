/**
 * Evaluation: mean loss (bpd for images, nats for toys) over the first `limit` examples of a
 * split, with dequantisation noise from a fixed seed so repeated evaluations of the same
 * weights agree exactly.
 */
import type { ModelConfig, RunConfig } from '../../../src-shared/config';
import type { Dataset, ProgressUpdate, Split } from '../../data/types';
import type { FlowModel } from '../flow/types';
import { tf } from '../tf';
import { roundTrip } from '../flow/roundTrip';
import { batchToInput, perExampleLoss } from './objective';
import { deriveSeed } from './seeds';

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

/** max |x − f⁻¹(f(x))| over the first test examples (at most 16), with evaluation noise. */
export async function invertibilityError(model: FlowModel, config: RunConfig, dataset: Dataset): Promise<number> {
  const n = Math.min(16, dataset.info.testCount);
  const stream = dataset.batches('test', { batchSize: n, seed: 0, shuffle: false, epochs: 1, limit: n });
  const { value: batch } = await stream[Symbol.asyncIterator]().next();
  if (!batch) return 0;
  const error = tf.tidy(() => {
    const x = batchToInput(batch, config.model, deriveSeed(config.train.seed, 'eval'));
    return roundTrip(model, x).error;
  });
  const value = (await error.data())[0]!;
  error.dispose();
  return value;
}

/** The run's test loss on its first `evalN` test examples, with progress updates. */
export async function testLoss(model: FlowModel, config: RunConfig, dataset: Dataset, step: number, onProgress: (update: ProgressUpdate) => void): Promise<number> {
  const { train } = config;
  const started = performance.now();
  const result = await evaluate({
    model,
    config: config.model,
    dataset,
    split: 'test',
    limit: train.evalN,
    batchSize: Math.min(train.batchSize, 256),
    seed: deriveSeed(train.seed, 'eval'),
    onProgress: (done, total) =>
      onProgress({
        task: 'eval',
        done,
        total,
        ratePerSecond: done / Math.max(1e-9, (performance.now() - started) / 1000),
        etaSeconds: null,
        message: `test evaluation at step ${step}`,
      }),
  });
  return result.mean;
}

/** The largest slope of every activation layer (Sec. 6.2's check), in one read; {} without RQ layers. */
export async function activationSlopeRecord(model: FlowModel): Promise<{ activationMaxSlope?: number[] }> {
  if (!model.activationSlopeData || !model.activationMaxSlopesFrom) return {};
  const table = model.activationSlopeData();
  const values = await table.data();
  table.dispose();
  const slopes = model.activationMaxSlopesFrom(values);
  return slopes.length > 0 ? { activationMaxSlope: slopes } : {};
}
