/**
 * What training minimises and evaluation reports, in the units the user reads:
 *   images: bits per dimension of the n-bit data (flow/units.ts defines the preprocessing);
 *   2-D toys: negative log-likelihood in nats per example.
 * Plus the Sec. 6.2 L2 transport cost on f_act's outputs when configured.
 */
import type { ModelConfig } from '../../../src-shared/config';
import type { Batch } from '../../data/types';
import type { FlowModel, LayerTrace } from '../flow/types';
import { type Tensor, tf } from '../tf';

/**
 * Uniform dequantisation into the model's input range: n-bit integers k become
 * x = (k + u)/2ⁿ − 0.5 with u ~ U[0, 1) drawn from `seed`, so x ∈ [−0.5, 0.5).
 */
export function dequantize(k: Tensor, bits: number, seed: number): Tensor {
  return tf.tidy(() => {
    const u = tf.randomUniform(k.shape, 0, 1, 'float32', seed);
    return tf.sub(tf.div(tf.add(tf.cast(k, 'float32'), u), 2 ** bits), 0.5);
  });
}

/**
 * Bits per dimension of the n-bit data from log p_model(x) (nats per example, x in the model's
 * input range): the scaling x = x̃/2ⁿ − 0.5 has log|det| = −d·n·ln 2, so
 * −log p(x̃) = −log p_model(x) + d·n·ln 2 and bpd = −log p(x̃)/(d·ln 2).
 */
export function bitsPerDim(logProbModel: Tensor, dims: number, bits: number): Tensor {
  return tf.add(tf.div(tf.neg(logProbModel), dims * Math.LN2), bits);
}

export function isToyModel(model: ModelConfig): boolean {
  return model.inputShape.length === 1;
}

/** The batch as a model-input tensor; images are dequantised with noise drawn from `seed`. */
export function batchToInput(batch: Batch, model: ModelConfig, seed: number): Tensor {
  const shape = [batch.n, ...batch.shape];
  if (isToyModel(model)) return tf.tensor(batch.data as Float32Array, shape, 'float32');
  return tf.tidy(() => dequantize(tf.tensor(batch.data, shape, 'int32'), model.bits, seed));
}

/** Per-example loss in reported units ([batch]): bpd for images, nats for toys. */
export function perExampleLoss(model: FlowModel, config: ModelConfig, x: Tensor, trace = false): { loss: Tensor; trace?: LayerTrace } {
  const encoded = model.forward(x, { trace });
  const logProb = tf.add(sumStandardNormalLogProb(encoded.latents), encoded.logdet);
  const loss = isToyModel(config) ? tf.neg(logProb) : bitsPerDim(logProb, model.dims, config.bits);
  return encoded.trace ? { loss, trace: encoded.trace } : { loss };
}

/** L2 transport cost (Sec. 6.2): mean squared output of every f_act layer. */
export function transportCost(trace: LayerTrace): Tensor {
  if (trace.activationOutputs.length === 0) return tf.scalar(0);
  const terms = trace.activationOutputs.map((a) => tf.mean(tf.square(a)));
  return tf.div(tf.addN(terms), terms.length);
}

/** Σ over levels of log N(z; 0, I) per example. */
export function sumStandardNormalLogProb(latents: Tensor[]): Tensor {
  const perLevel = latents.map((z) => {
    const flat = tf.reshape(z, [z.shape[0]!, -1]);
    const d = flat.shape[1]!;
    return tf.sub(tf.mul(tf.sum(tf.square(flat), 1), -0.5), 0.5 * d * Math.log(2 * Math.PI));
  });
  return perLevel.length === 1 ? perLevel[0]! : tf.addN(perLevel);
}
