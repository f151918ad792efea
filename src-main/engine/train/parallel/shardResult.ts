/**
 * A shard's loss and gradients as one flat float32 vector, so a worker sends its result in one
 * message and reads its device once. Layout (all float32):
 *   [objective, nll, transport?, grad(v₁)…, grad(vₖ)…, layerLogdet(L), layerVariance(L), layerMean(L)]
 * gradients in `model.variables` order (a worker's variables carry other names than the
 * coordinator's: flow/model.ts scopes each instance, so order, not name, identifies them), the
 * per-layer parts only on diagnostics steps.
 */
import type { FlowModel } from '../../flow/types';
import { type Tensor, tf } from '../../tf';
import type { LossAndGradients } from '../gradients';

/** What a flat shard vector holds besides the gradients. */
export interface ShardLayout {
  transport: boolean;
  /** Per-layer diagnostics' length (0: none this step). */
  layers: number;
}

/** Rows of a batch per shard: as even as it goes, the first shards one larger; never an empty shard. */
export function shardSizes(n: number, shards: number): number[] {
  if (!Number.isInteger(n) || n < 1) throw new Error(`shardSizes: a batch of ${n} examples cannot be split`);
  const parts = Math.max(1, Math.min(n, Math.floor(shards)));
  return Array.from({ length: parts }, (_, i) => Math.floor(n / parts) + (i < n % parts ? 1 : 0));
}

/** The gradient of `v` in `result`, or a clear error: every variable must have one. */
export function gradientOf(result: LossAndGradients, v: tf.Variable, index: number): Tensor {
  const g = result.grads[v.name];
  if (!g) throw new Error(`data-parallel step: no gradient for variable ${index} (${v.name})`);
  return g;
}

/** The flat vector of a result (a new tensor; the result is left as it is). */
export function packShard(model: FlowModel, result: LossAndGradients): { packed: Tensor; layout: ShardLayout } {
  const layers = result.layerLogdet && result.layerVariance && result.layerMean ? result.layerLogdet.shape[0]! : 0;
  const layout: ShardLayout = { transport: result.transport !== undefined, layers };
  const packed = tf.tidy(() => {
    const parts: Tensor[] = [tf.reshape(result.objective, [1]), tf.reshape(result.nll, [1])];
    if (result.transport) parts.push(tf.reshape(result.transport, [1]));
    model.variables.forEach((v, i) => parts.push(tf.reshape(gradientOf(result, v as tf.Variable, i), [-1])));
    if (layers > 0) parts.push(result.layerLogdet!, result.layerVariance!, result.layerMean!);
    return tf.concat(parts);
  });
  return { packed, layout };
}

/** The tensors of a flat vector, gradients keyed by `model`'s own variable names. */
export function unpackShard(model: FlowModel, data: Float32Array, layout: ShardLayout): LossAndGradients {
  const expected = 2 + (layout.transport ? 1 : 0) + model.variables.reduce((s, v) => s + v.size, 0) + 3 * layout.layers;
  if (data.length !== expected) throw new Error(`data-parallel step: a shard result holds ${data.length} numbers, expected ${expected} (the worker's model differs from this one)`);
  let at = 0;
  const take = (size: number, shape: number[]): Tensor => {
    const t = tf.tensor(data.subarray(at, at + size), shape, 'float32');
    at += size;
    return t;
  };
  const result: LossAndGradients = { objective: take(1, []) as tf.Scalar, nll: take(1, []) as tf.Scalar, grads: {} };
  if (layout.transport) result.transport = take(1, []) as tf.Scalar;
  for (const v of model.variables) result.grads[v.name] = take(v.size, v.shape);
  if (layout.layers > 0) {
    result.layerLogdet = take(layout.layers, [layout.layers]);
    result.layerVariance = take(layout.layers, [layout.layers]);
    result.layerMean = take(layout.layers, [layout.layers]);
  }
  return result;
}
