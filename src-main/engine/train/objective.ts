/**
 * What training minimises and evaluation reports, in the units the user reads:
 *   images: bits per dimension of the n-bit data (flow/units.ts defines the units);
 *   2-D toys: negative log-likelihood in nats per example.
 * Plus the Sec. 6.2 L2 transport cost on f_act's outputs when configured.
 */
import type { ModelConfig } from '../../../src-shared/config';
import { sumAll } from '../ops/sum';
import { logLikelihood } from '../flow/prior';
import { lossUnit } from '../../../src-shared/lossUnit';
import type { Batch } from '../../data/types';
import type { FlowModel, LayerTrace } from '../flow/types';
import { type Tensor, tf } from '../tf';
import { bitsPerDim, dequantizeTensor } from '../flow/units';

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

/** L2 transport cost (Sec. 6.2): mean squared output of every f_act layer. */
export function transportCost(trace: LayerTrace): Tensor {
  if (trace.activationOutputs.length === 0) return tf.scalar(0);
  const terms = trace.activationOutputs.map(transportTerm);
  return tf.div(sumAll(terms), terms.length);
}

/** One f_act layer's term of the transport cost (the cost is their mean over the act layers). */
export function transportTerm(activationOutput: Tensor): Tensor {
  return tf.mean(tf.square(activationOutput));
}
