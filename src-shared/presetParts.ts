/**
 * What the paper presets (presets.ts) and the baselines (baselinePresets.ts) share: App. C's
 * training settings (the baselines use them at Glow's rate) and the 2-D toys' structure. Type-only import from config.ts (config.ts →
 * presets.ts → here: a value import back would be a cycle).
 */
import type { ModelConfig, TrainConfig } from './config';

/**
 * App. C, "Optimization details": Adamax with default β1, β2; lr 0.01 decaying exponentially to
 * 0.001 (1000 decay steps, rate 0.98); batch 1024 for 32×32. The 500-step linear warm-up is
 * ours, not the paper's: at lr 0.01 from the first step training diverges on every model we
 * tried (docs/flow.md, "Learning-rate warm-up", has the measurements).
 */
export const paperTrain: TrainConfig = {
  batchSize: 1024,
  steps: 500_000,
  learningRate: { initial: 0.01, final: 0.001, decaySteps: 1000, decayRate: 0.98, warmupSteps: 500 },
  adamax: { beta1: 0.9, beta2: 0.999, epsilon: 1e-7 },
  seed: 0,
  evalEvery: 1000,
  evalN: 10_000,
  checkpointEvery: 1000,
  diagnosticsEvery: 10,
  memory: 'recompute',
};


/** The 2-D toys' structure (Fig. 3 / 7): one level of 8 blocks on vectors, kernel 1. */
export const toyStructure = {
  inputShape: [2],
  levels: 1,
  blocksPerLevel: 8,
  splitFraction: 0.5,
  firstConvKernel: 1,
  convKernel: 1,
} satisfies Partial<ModelConfig>;
