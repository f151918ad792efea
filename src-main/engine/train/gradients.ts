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
import { perExampleLoss, transportCost } from './objective';
import { isRecomputable, recomputeGradients } from './recompute';

export interface GradientOptions {
  memory: MemoryMode;
  /** Per-layer mean log-det and output variance of this forward pass (`model.layers` order). */
  diagnostics: boolean;
  /** Recompute mode only: also measure the drift of the recomputed block inputs (costly; tests, bench). */
  measureDrift?: boolean;
}

export type LossAndGradients = {
  /** The objective: mean loss (bpd for images, nats for toys) plus the weighted transport cost. */
  loss: tf.Scalar;
  /** Gradient of `loss` per variable, keyed by variable name. */
  grads: Record<string, Tensor>;
  layerLogdet?: Tensor;
  layerVariance?: Tensor;
  /** [blocks, 2]: per block (forward order) max |x_recomputed − x_stored| and max |x_stored|. */
  drift?: Tensor;
};

export function lossAndGradients(model: FlowModel, config: ModelConfig, x: Tensor, options: GradientOptions): LossAndGradients {
  if (options.memory === 'store') {
    if (options.measureDrift) throw new Error('lossAndGradients: drift is measured in recompute mode only');
    return storeGradients(model, config, x, options.diagnostics);
  }
  if (!isRecomputable(model)) throw new Error('lossAndGradients: this model does not expose its levels, so train.memory=recompute cannot run it; use train.memory=store');
  return recomputeGradients(model, config, x, { diagnostics: options.diagnostics, measureDrift: options.measureDrift === true });
}

/** Every tensor of a result released. */
export function disposeGradients(result: LossAndGradients): void {
  tf.dispose([result.loss, ...Object.values(result.grads)]);
  tf.dispose([result.layerLogdet, result.layerVariance, result.drift].filter((t): t is Tensor => t !== undefined));
}

/** Plain autodiff: `tf.variableGrads` over the whole forward pass (and the trace when needed). */
function storeGradients(model: FlowModel, config: ModelConfig, x: Tensor, diagnostics: boolean): LossAndGradients {
  const cost = config.ablation.transportCost;
  const needTrace = diagnostics || cost > 0;
  let layerLogdet: Tensor | undefined;
  let layerVariance: Tensor | undefined;
  try {
    const { value, grads } = tf.variableGrads(() => {
      const { loss, trace } = perExampleLoss(model, config, x, needTrace);
      let objective = tf.mean(loss);
      if (trace && diagnostics) {
        // Kept past variableGrads' own tidy: the caller reads them with the loss.
        layerLogdet = tf.keep(tf.stack(trace.logdet));
        layerVariance = tf.keep(tf.stack(trace.variance));
      }
      if (trace && cost > 0) objective = tf.add(objective, tf.mul(transportCost(trace), cost));
      return objective as tf.Scalar;
    }, model.variables as tf.Variable[]);
    const result: LossAndGradients = { loss: value, grads };
    if (layerLogdet && layerVariance) {
      result.layerLogdet = layerLogdet;
      result.layerVariance = layerVariance;
    }
    return result;
  } catch (error) {
    tf.dispose([layerLogdet, layerVariance].filter((t): t is Tensor => t !== undefined));
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
