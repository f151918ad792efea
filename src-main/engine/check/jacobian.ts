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
  const { rows, cols } = jacobianSize(f, x);
  const matrix = new Float64Array(rows * cols);
  for (let start = 0; start < rows; start += chunk) {
    const block = jacobianRows(f, x, start, Math.min(chunk, rows - start), rows);
    matrix.set(block.dataSync(), start * cols);
    block.dispose();
  }
  return { matrix, rows, cols };
}

/** `jacobianAt` with asynchronous reads (every backend, webgpu included, which has no sync read). */
export async function jacobianAtAsync(f: (x: Tensor) => Tensor, x: Tensor, chunk = 32): Promise<DenseJacobian> {
  const { rows, cols } = jacobianSize(f, x);
  const matrix = new Float64Array(rows * cols);
  for (let start = 0; start < rows; start += chunk) {
    const block = jacobianRows(f, x, start, Math.min(chunk, rows - start), rows);
    matrix.set(await block.data(), start * cols);
    block.dispose();
  }
  return { matrix, rows, cols };
}

function jacobianSize(f: (x: Tensor) => Tensor, x: Tensor): { rows: number; cols: number } {
  return { rows: tf.tidy(() => f(x).size), cols: x.size };
}

/** Rows start … start + count − 1 of the Jacobian, [count, cols], in one backward pass. */
function jacobianRows(f: (x: Tensor) => Tensor, x: Tensor, start: number, count: number, rows: number): Tensor {
  return tf.tidy(() => {
    const replicated = tf.tile(x, [count, ...Array<number>(x.rank - 1).fill(1)]);
    const cotangent = tf.slice(tf.eye(rows), [start, 0], [count, rows]);
    const g = tf.grad((input: Tensor) => tf.sum(tf.mul(tf.reshape(f(input), [count, rows]), cotangent)))(replicated);
    return tf.reshape(g, [count, x.size]);
  });
}

/** J (d × d) of x ↦ flat latents (every level, level 1 first) at a single example. */
export async function fullJacobian(model: FlowModel, x: Tensor, chunk = 32): Promise<Float64Array> {
  return (await jacobianAtAsync((input) => flatOutput(model, input), x, chunk)).matrix;
}

export interface LogdetCheck {
  model: number;
  autodiff: number;
  relativeError: number;
}

/** Model log-det vs log|det J| from autodiff at one example. */
export async function checkLogdet(model: FlowModel, x: Tensor): Promise<LogdetCheck> {
  const jac = await fullJacobian(model, x);
  const autodiff = slogdet(jac, x.size).logAbsDet;
  const own = tf.tidy(() => model.forward(x).logdet);
  const value = (await own.data())[0]!;
  own.dispose();
  return { model: value, autodiff, relativeError: Math.abs(value - autodiff) / Math.max(Math.abs(autodiff), 1e-12) };
}

/** max |inverse(forward(x)) − x|. */
export async function invertibilityError(model: FlowModel, x: Tensor): Promise<number> {
  const err = tf.tidy(() => roundTrip(model, x).error);
  const value = (await err.data())[0]!;
  err.dispose();
  return value;
}

/** Moves every variable away from its (near-identity) initialisation by seeded noise. */
export function perturbVariables(model: FlowModel, scale: number, seed: number): void {
  model.variables.forEach((v, i) => {
    tf.tidy(() => v.assign(tf.add(v, tf.mul(tf.randomNormal(v.shape, 0, 1, 'float32', seed + i), scale))));
  });
}
