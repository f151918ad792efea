/**
 * The whole batch's loss and gradients from its shards'. Every part of the objective is a mean
 * over examples (objective.ts: the NLL, the transport cost), so with shard sizes nᵢ and
 * wᵢ = nᵢ/n the batch's value is Σ wᵢ·valueᵢ and, the gradient being linear, so is its gradient:
 * the same update as one process on the whole batch, up to float rounding. The per-layer
 * log-det is a mean too. The per-layer output variance is not; it combines exactly from each
 * shard's variance and mean (every shard has the same number of dimensions per example):
 *   m = Σ wᵢ mᵢ,   v = Σ wᵢ (vᵢ + (mᵢ − m)²).
 */
import type { FlowModel } from '../../flow/types';
import { type Tensor, tf } from '../../tf';
import type { LossAndGradients } from '../gradients';
import { gradientOf } from './shardResult';

export interface Shard {
  result: LossAndGradients;
  /** Examples in the shard. */
  n: number;
}

function weighted(parts: Tensor[], w: number[]): Tensor {
  return parts.map((t, i) => tf.mul(t, w[i]!)).reduce((a, b) => tf.add(a, b));
}

/** New tensors; the shards' results are left to the caller to dispose. */
export function combineShards(model: FlowModel, shards: Shard[]): LossAndGradients {
  const n = shards.reduce((s, p) => s + p.n, 0);
  const w = shards.map((p) => p.n / n);
  const results = shards.map((p) => p.result);
  return tf.tidy(() => {
    const out: LossAndGradients = {
      objective: tf.keep(weighted(results.map((r) => r.objective), w)) as tf.Scalar,
      nll: tf.keep(weighted(results.map((r) => r.nll), w)) as tf.Scalar,
      grads: {},
    };
    if (results.every((r) => r.transport)) out.transport = tf.keep(weighted(results.map((r) => r.transport!), w)) as tf.Scalar;
    model.variables.forEach((v, i) => {
      out.grads[v.name] = tf.keep(weighted(results.map((r) => gradientOf(r, v as tf.Variable, i)), w));
    });
    if (results.every((r) => r.layerLogdet && r.layerVariance && r.layerMean)) {
      const mean = weighted(results.map((r) => r.layerMean!), w);
      const spread = results.map((r) => tf.add(r.layerVariance!, tf.square(tf.sub(r.layerMean!, mean))));
      out.layerLogdet = tf.keep(weighted(results.map((r) => r.layerLogdet!), w));
      out.layerVariance = tf.keep(weighted(spread, w));
      out.layerMean = tf.keep(mean);
    }
    return out;
  });
}
