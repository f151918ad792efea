/**
 * The sum of many same-shaped tensors, on every backend. Not tf.addN: on webgpu it binds one
 * storage buffer per input, and past the per-stage limit (8 on lavapipe, WebGPU's default
 * maxStorageBuffersPerShaderStage) it silently returns a wrong sum (measured: addN of 8 scalars
 * 1…8 gave 28, of 150 gave 210). Stacking first (one concatenation, which tfjs-webgpu splits
 * into groups the limit allows) and summing over the new axis is exact on every backend.
 */
import { type Tensor, tf } from '../tf';

export function sumAll(tensors: readonly Tensor[]): Tensor {
  if (tensors.length === 0) throw new Error('sumAll: needs at least one tensor');
  if (tensors.length === 1) return tf.clone(tensors[0]!);
  if (tensors.length === 2) return tf.add(tensors[0]!, tensors[1]!);
  return tf.tidy(() => tf.sum(tf.stack(tensors as Tensor[]), 0));
}
