/**
 * Independent references for the flow tests: full Jacobians by reverse-mode autodiff, their
 * log|det| by a float64 Gaussian elimination written here (not the engine's linalg64), and
 * seeded perturbation of a model's parameters away from its (near-identity) initialisation.
 */
import type { Tensor, Variable } from '../../../src-main/engine/tf';
import { tf } from '../../../src-main/engine/tf';
import { type DenseJacobian, jacobianAt } from '../../../src-main/engine/check/jacobian';

/** log|det A| of a row-major n×n matrix by Gaussian elimination with partial pivoting, float64. */
export function logAbsDet64(a: ArrayLike<number>, n: number): number {
  const m: number[][] = [];
  for (let i = 0; i < n; i++) m.push(Array.from({ length: n }, (_, j) => a[i * n + j]!));
  let sum = 0;
  for (let c = 0; c < n; c++) {
    let p = c;
    for (let r = c + 1; r < n; r++) if (Math.abs(m[r]![c]!) > Math.abs(m[p]![c]!)) p = r;
    [m[c], m[p]] = [m[p]!, m[c]!];
    const pivot = m[c]![c]!;
    if (pivot === 0) return -Infinity;
    sum += Math.log(Math.abs(pivot));
    for (let r = c + 1; r < n; r++) {
      const f = m[r]![c]! / pivot;
      for (let k = c; k < n; k++) m[r]![k]! -= f * m[c]![k]!;
    }
  }
  return sum;
}

/** Dense Jacobian by autodiff (shared with `flowstudio check`). */
export function jacobian(f: (x: Tensor) => Tensor, x: Tensor): DenseJacobian {
  return jacobianAt(f, x);
}

/** log|det J| of a square map at x from the autodiff Jacobian. */
export function jacobianLogDet(f: (x: Tensor) => Tensor, x: Tensor): number {
  const { matrix, rows, cols } = jacobian(f, x);
  if (rows !== cols) throw new Error(`Jacobian is ${rows}×${cols}, not square`);
  return logAbsDet64(matrix, rows);
}

/** v ← v + scale·N(0, 1), seeded, for every variable. */
export function perturb(variables: readonly Variable[], scale: number, seed: number): void {
  variables.forEach((v, i) => {
    tf.tidy(() => v.assign(tf.add(v, tf.randomNormal(v.shape, 0, scale, 'float32', seed * 1000 + i))));
  });
}

export function maxAbsDiff(a: Tensor, b: Tensor): number {
  const t = tf.tidy(() => tf.max(tf.abs(tf.sub(a, b))));
  const v = t.dataSync()[0]!;
  t.dispose();
  return v;
}

export function maxAbs(a: Tensor): number {
  const t = tf.tidy(() => tf.max(tf.abs(a)));
  const v = t.dataSync()[0]!;
  t.dispose();
  return v;
}

export function scalar(t: Tensor): number {
  const v = t.dataSync()[0]!;
  return v;
}
