/**
 * The likelihood every flow here is trained and evaluated with: a standard-normal prior on every
 * level's latent, and the change of variables
 *   log p(x) = Σ_levels log N(z_l; 0, I) + log|det J_f(x)|   (nats per example).
 * Training (train/objective.ts), `FlowModel.logProb`, evaluation and the toy density grid all
 * call these, so the tests of `logProb` test what training minimises.
 */
import { type Tensor, tf } from '../tf';
import { sumAll } from '../ops/sum';
import type { EncodeResult } from './types';

const LOG_2PI = Math.log(2 * Math.PI);

/** Σ over levels of log N(z; 0, I) per example, [batch]. */
export function standardNormalLogProb(latents: readonly Tensor[]): Tensor {
  if (latents.length === 0) throw new Error('standardNormalLogProb: needs at least one latent');
  return tf.tidy(() => {
    const perLevel = latents.map((z) => {
      const flat = tf.reshape(z, [z.shape[0]!, -1]);
      return tf.sub(tf.mul(tf.sum(tf.square(flat), 1), -0.5), 0.5 * flat.shape[1]! * LOG_2PI);
    });
    return sumAll(perLevel);
  });
}

/** log p(x) per example, [batch], from the model's encoding of x. */
export function logLikelihood(encoded: Pick<EncodeResult, 'latents' | 'logdet'>): Tensor {
  return tf.tidy(() => tf.add(standardNormalLogProb(encoded.latents), encoded.logdet));
}
