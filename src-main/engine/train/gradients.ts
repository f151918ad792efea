/**
 * The loss and the gradient of every variable for one training step, in either memory mode
 * (`train.memory`, docs/memory.md):
 *   store      plain autodiff over the whole forward pass: every activation is on the tape;
 *   recompute  each block's input rebuilt from its output by the block's inverse during the
 *              backward pass (train/recompute.ts): memory flat in depth.
 * Both return the same numbers (to float rounding; test/unit/train/recompute.test.ts) and the
 * same per-layer diagnostics. Nothing here reads the device: the step packs what it needs into
 * its one read.
 */
import type { MemoryMode, ModelConfig } from '../../../src-shared/config';
import type { FlowModel } from '../flow/types';
import { type Tensor, tf } from '../tf';
import { trainingObjective } from './objective';
import { type RecomputeResult, isRecomputable, recomputeGradients, recomputeGradientsYielding } from './recompute';

export interface GradientOptions {
  memory: MemoryMode;
  /** Per-layer mean log-det and output variance of this forward pass (`model.layers` order). */
  diagnostics: boolean;
  /** Recompute mode only: also measure the drift of the recomputed block inputs (costly; tests, bench). */
  measureDrift?: boolean;
}

/** The same result whichever memory mode computed it (fields documented in recompute.ts). */
export type LossAndGradients = RecomputeResult;

export function lossAndGradients(model: FlowModel, config: ModelConfig, x: Tensor, options: GradientOptions): LossAndGradients {
  if (options.memory === 'store') {
    if (options.measureDrift) throw new Error('lossAndGradients: drift is measured in recompute mode only');
    return storeGradients(model, config, x, options.diagnostics);
  }
  if (!isRecomputable(model)) throw new Error('lossAndGradients: this model does not expose its levels, so train.memory=recompute cannot run it; use train.memory=store');
  return recomputeGradients(model, config, x, { diagnostics: options.diagnostics, measureDrift: options.measureDrift === true });
}

/** How a training step gets its loss and gradients: `lossAndGradientsYielding`, or a data-parallel group (train/parallel). */
export type GradientSource = (model: FlowModel, config: ModelConfig, x: Tensor, options: GradientOptions, between: () => Promise<void>) => Promise<LossAndGradients>;

/**
 * `lossAndGradients` for the training loop: the same numbers, but in recompute mode the event
 * loop gets a turn between blocks (`between`), so requests are answered during a long step on
 * a backend that computes on the main thread (recompute.ts `recomputeGradientsYielding`).
 */
export async function lossAndGradientsYielding(model: FlowModel, config: ModelConfig, x: Tensor, options: GradientOptions, between: () => Promise<void>): Promise<LossAndGradients> {
  if (options.memory === 'store' || !isRecomputable(model)) return lossAndGradients(model, config, x, options);
  return recomputeGradientsYielding(model, config, x, { diagnostics: options.diagnostics, measureDrift: options.measureDrift === true }, between);
}

/** Every tensor of a result released. */
export function disposeGradients(result: LossAndGradients): void {
  tf.dispose(Object.values(result.grads));
  tf.dispose([result.objective, result.nll, result.transport, result.layerLogdet, result.layerVariance, result.layerMean, result.drift].filter((t): t is Tensor => t !== undefined));
}

/** Plain autodiff: `tf.variableGrads` over the whole forward pass (and the trace when needed). */
function storeGradients(model: FlowModel, config: ModelConfig, x: Tensor, diagnostics: boolean): LossAndGradients {
  // Kept past variableGrads' own tidy: the caller reads them with the objective.
  const parts: { nll?: Tensor; transport?: Tensor; layerLogdet?: Tensor; layerVariance?: Tensor; layerMean?: Tensor } = {};
  try {
    const { value, grads } = tf.variableGrads(() => {
      const { nll, objective, transport, trace } = trainingObjective(model, config, x, diagnostics);
      parts.nll = tf.keep(nll);
      if (transport) parts.transport = tf.keep(transport);
      if (trace && diagnostics) {
        parts.layerLogdet = tf.keep(tf.stack(trace.logdet));
        parts.layerVariance = tf.keep(tf.stack(trace.variance));
        parts.layerMean = tf.keep(tf.stack(trace.mean));
      }
      return objective as tf.Scalar;
    }, model.variables as tf.Variable[]);
    const result: LossAndGradients = { objective: value, nll: parts.nll as tf.Scalar, grads };
    if (parts.transport) result.transport = parts.transport as tf.Scalar;
    if (parts.layerLogdet && parts.layerVariance && parts.layerMean) {
      result.layerLogdet = parts.layerLogdet;
      result.layerVariance = parts.layerVariance;
      result.layerMean = parts.layerMean;
    }
    return result;
  } catch (error) {
    tf.dispose(Object.values(parts));
    throw error;
  }
}

export interface BlockDrift {
  /** 0-based, as `LayerDescriptor.level` / `.block`. */
  level: number;
  block: number;
  /** max |x_recomputed − x_stored| over the batch and every dimension of the block's input. */
  maxAbs: number;
  /** max |x_stored|: the scale `maxAbs` is measured against. */
  scale: number;
}

/**
 * How far the inputs recomputed by the inverses drift from the inputs of the forward pass, per
 * level and block, on a batch (one real recompute-mode gradient computation, one read). For
 * tests and the benchmark, not for training: it keeps every block input.
 */
export async function recomputeDrift(model: FlowModel, config: ModelConfig, x: Tensor): Promise<BlockDrift[]> {
  const result = lossAndGradients(model, config, x, { memory: 'recompute', diagnostics: false, measureDrift: true });
  let values: Float32Array;
  try {
    values = (await result.drift!.data()) as Float32Array;
  } finally {
    disposeGradients(result);
  }
  const perLevel = config.blocksPerLevel;
  return Array.from({ length: values.length / 2 }, (_, i) => ({
    level: Math.floor(i / perLevel),
    block: i % perLevel,
    maxAbs: values[2 * i]!,
    scale: values[2 * i + 1]!,
  }));
}
