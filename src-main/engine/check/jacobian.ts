/**
 * Independent checks of a flow, used by `flowstudio check`: the full Jacobian of the model at
 * one input by reverse-mode autodiff (all rows in one backward pass over a replicated batch),
 * its log|det| by a float64 LU, compared with the model's own log-det; and the round-trip
 * error inverse(forward(x)) − x.
 */
import type { FlowModel } from '../flow/types';
import { slogdet } from '../ops/linalg64';
import { type Tensor, tf } from '../tf';

/** The model's output as one flat vector per example: every level's latent, level 1 first. */
function flatOutput(model: FlowModel, x: Tensor): Tensor {
  const { latents } = model.forward(x);
  return tf.concat(latents.map((z) => tf.reshape(z, [z.shape[0]!, -1])), 1);
}

/**
 * J (d × d, row-major, float64) of x ↦ flat latents at a single example x ([1, ...shape]).
 * Example i of a batch of copies of x receives cotangent e_i, so the input gradient of
 * example i is row i of J. Rows are computed `chunk` at a time to bound memory (the wasm
 * heap cannot hold hundreds of copies of a model's activations).
 */
export function fullJacobian(model: FlowModel, x: Tensor, chunk = 32): Float64Array {
  const d = x.size;
  const out = new Float64Array(d * d);
  for (let start = 0; start < d; start += chunk) {
    const rows = Math.min(chunk, d - start);
    const block = tf.tidy(() => {
      const replicated = tf.tile(x, [rows, ...Array<number>(x.rank - 1).fill(1)]);
      const cotangent = tf.slice(tf.eye(d), [start, 0], [rows, d]);
      const g = tf.grad((input: Tensor) => tf.sum(tf.mul(flatOutput(model, input), cotangent)))(replicated);
      return tf.reshape(g, [rows, d]);
    });
    out.set(block.dataSync(), start * d);
    block.dispose();
  }
  return out;
}

export interface LogdetCheck {
  model: number;
  autodiff: number;
  relativeError: number;
}

/** Model log-det vs log|det J| from autodiff at one example. */
export function checkLogdet(model: FlowModel, x: Tensor): LogdetCheck {
  const jac = fullJacobian(model, x);
  const autodiff = slogdet(jac, x.size).logAbsDet;
  const own = tf.tidy(() => model.forward(x).logdet);
  const value = own.dataSync()[0]!;
  own.dispose();
  return { model: value, autodiff, relativeError: Math.abs(value - autodiff) / Math.max(Math.abs(autodiff), 1e-12) };
}

/** max |inverse(forward(x)) − x|. */
export function invertibilityError(model: FlowModel, x: Tensor): number {
  const err = tf.tidy(() => tf.max(tf.abs(tf.sub(model.inverse(model.forward(x).latents), x))));
  const value = err.dataSync()[0]!;
  err.dispose();
  return value;
}

/** Moves every variable away from its (near-identity) initialisation by seeded noise. */
export function perturbVariables(model: FlowModel, scale: number, seed: number): void {
  model.variables.forEach((v, i) => {
    tf.tidy(() => v.assign(tf.add(v, tf.mul(tf.randomNormal(v.shape, 0, 1, 'float32', seed + i), scale))));
  });
}
