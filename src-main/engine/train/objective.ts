/**
 * What training minimises and evaluation reports, in the units the user reads:
 *   images: bits per dimension of the n-bit data (flow/units.ts defines the units);
 *   2-D toys: negative log-likelihood in nats per example.
 * Plus the Sec. 6.2 L2 transport cost on f_act's outputs when configured: the training
 * objective is then NLL + λ·T, and the two are reported apart (the train NLL / bpd is the
 * likelihood alone).
 */
import type { ModelConfig } from '../../../src-shared/config';
import { sumAll } from '../ops/sum';
import { logLikelihood } from '../flow/prior';
import { lossUnit } from '../../../src-shared/lossUnit';
import type { Batch } from '../../data/types';
import type { FlowModel, LayerTrace } from '../flow/types';
import { type Tensor, tf } from '../tf';
import { bitsPerDim, dequantizeTensor } from '../flow/units';
import { squeeze } from '../ops/squeeze';

/** The batch as a model-input tensor; images are dequantised with noise drawn from `seed`. */
export function batchToInput(batch: Batch, model: ModelConfig, seed: number): Tensor {
  const shape = [batch.n, ...batch.shape];
  if (lossUnit(model) === 'nats') return tf.tensor(batch.data as Float32Array, shape, 'float32');
  return tf.tidy(() => dequantizeTensor(tf.tensor(batch.data, shape, 'float32'), model.bits, seed));
}

/** Per-example loss in reported units ([batch]): bpd for images, nats for toys. */
export function perExampleLoss(model: FlowModel, config: ModelConfig, x: Tensor, trace = false): { loss: Tensor; trace?: LayerTrace } {
  const encoded = model.forward(x, { trace });
  const loss = lossFromEncoding(config, model.dims, encoded.latents, encoded.logdet);
  return encoded.trace ? { loss, trace: encoded.trace } : { loss };
}

/** Per-example loss ([batch]) from the latents and the total log-det of a forward pass. */
export function lossFromEncoding(config: ModelConfig, dims: number, latents: Tensor[], logdet: Tensor): Tensor {
  const logProb = logLikelihood({ latents, logdet });
  return lossUnit(config) === 'nats' ? tf.neg(logProb) : bitsPerDim(logProb, dims, config.bits);
}

/**
 * L2 transport cost (Sec. 6.2; Onken et al. 2020): how far each block moves its input,
 *   T = mean over examples of Σ_blocks ‖f_l(h) − h‖² / d,
 * f_l(h) the block's output (f_act's output) and h its input, from the forward trace. A block
 * whose k×k convolution squeezes (h×w×c → h/k×w/k×k²c) is compared with its input squeezed the
 * same way: the squeeze only permutes coordinates, so this equals comparing after unsqueezing
 * the output. Divided by d for images so that λ weighs it like the per-dimension bpd it is
 * added to; 2-D toys report nats per example, and so T is per example there (`perExample`).
 * At the identity-like initialisation every block maps h to itself and T = 0.
 */
export function transportCost(trace: LayerTrace, options: { dims: number; perExample: boolean }): Tensor {
  if (trace.blocks.length === 0) return tf.scalar(0);
  return tf.tidy(() => {
    const perExample = sumAll(trace.blocks.map(({ input, output }) => blockDisplacement(input, output)));
    const mean = tf.mean(perExample);
    return options.perExample ? mean : tf.div(mean, options.dims);
  });
}

/** ‖f_l(h) − h‖² per example ([batch]) of one block: its term of the transport cost. */
export function blockDisplacement(input: Tensor, output: Tensor): Tensor {
  return tf.tidy(() => {
    const k = input.rank === 4 ? input.shape[1]! / output.shape[1]! : 1;
    const moved = tf.sub(output, squeeze(input, k));
    return tf.sum(tf.reshape(tf.square(moved), [moved.shape[0]!, -1]), 1);
  });
}

/** What one training step minimises, and its parts (scalars, reported units). */
export interface TrainingObjective {
  /** Mean loss of the batch: bpd for images, nats for toys. The likelihood alone. */
  nll: Tensor;
  /** What is differentiated: nll + λ·transport (= nll when λ = 0). */
  objective: Tensor;
  /** The unweighted transport cost T, when λ > 0. */
  transport?: Tensor;
  trace?: LayerTrace;
}

/** The batch's objective; traces the forward pass when asked or when the transport cost needs it. */
export function trainingObjective(model: FlowModel, config: ModelConfig, x: Tensor, trace: boolean): TrainingObjective {
  const weight = config.ablation.transportCost;
  const out = perExampleLoss(model, config, x, trace || weight > 0);
  const nll = tf.mean(out.loss);
  if (weight > 0 && out.trace) {
    const transport = transportCost(out.trace, { dims: model.dims, perExample: lossUnit(config) === 'nats' });
    return { nll, objective: tf.add(nll, tf.mul(transport, weight)), transport, trace: out.trace };
  }
  return out.trace ? { nll, objective: nll, trace: out.trace } : { nll, objective: nll };
}
