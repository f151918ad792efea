/**
 * Independent checks of a flow, used by `flowstudio check`: the full Jacobian of the model at
 * one input by reverse-mode autodiff (all rows in one backward pass over a replicated batch),
 * its log|det| by a float64 LU, compared with the model's own log-det; and the round-trip
 * error inverse(forward(x)) − x.
 */
import type { FlowModel } from '../flow/types';
import { roundTrip } from '../flow/roundTrip';
import { slogdet } from '../numeric/lu';
import { type Tensor, tf } from '../tf';

/** The model's output as one flat vector per example: every level's latent, level 1 first. */
function flatOutput(model: FlowModel, x: Tensor): Tensor {
  const { latents } = model.forward(x);
  return tf.concat(latents.map((z) => tf.reshape(z, [z.shape[0]!, -1])), 1);
}

/** A dense Jacobian: `rows` outputs × `cols` inputs, row-major, float64. */
export interface DenseJacobian {
  matrix: Float64Array;
  rows: number;
  cols: number;
}

/**
 * Jacobian of a map f at a single example x ([1, ...shape]), by reverse-mode autodiff: copy i
 * of a batch of copies of x receives cotangent e_i, so the input gradient of copy i is row i.
 * f must act on each example of a batch independently. Rows are computed `chunk` at a time to
 * bound memory (the wasm heap cannot hold hundreds of copies of a model's activations).
 */
export function jacobianAt(f: (x: Tensor) => Tensor, x: Tensor, chunk = 32): DenseJacobian {
  const cols = x.size;
  const rows = tf.tidy(() => f(x).size);
  const matrix = new Float64Array(rows * cols);
  for (let start = 0; start < rows; start += chunk) {
    const count = Math.min(chunk, rows - start);
    const block = tf.tidy(() => {
      const replicated = tf.tile(x, [count, ...Array<number>(x.rank - 1).fill(1)]);
      const cotangent = tf.slice(tf.eye(rows), [start, 0], [count, rows]);
      const g = tf.grad((input: Tensor) => tf.sum(tf.mul(tf.reshape(f(input), [count, rows]), cotangent)))(replicated);
      return tf.reshape(g, [count, cols]);
    });
    matrix.set(block.dataSync(), start * cols);
    block.dispose();
  }
  return { matrix, rows, cols };
}

/** J (d × d) of x ↦ flat latents (every level, level 1 first) at a single example. */
export function fullJacobian(model: FlowModel, x: Tensor, chunk = 32): Float64Array {
  return jacobianAt((input) => flatOutput(model, input), x, chunk).matrix;
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
  const err = tf.tidy(() => roundTrip(model, x).error);
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
