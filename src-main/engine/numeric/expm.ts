/**
 * The matrix exponential in float64 on the host (row-major), by scaling and squaring of the
 * Taylor series: exp(A) = (T(A/2^k))^(2^k) with 2^k ≥ ‖A‖₁, so the scaled matrix has norm ≤ 1
 * and 20 Taylor terms leave a remainder below 1/21! ≈ 2e-20. Used to rebuild the rotation of
 * layers/expQrConv.ts exactly (inverse, checks).
 */
import { matmul } from './lu';

function norm1(a: ArrayLike<number>, n: number): number {
  let best = 0;
  for (let j = 0; j < n; j++) {
    let s = 0;
    for (let i = 0; i < n; i++) s += Math.abs(a[i * n + j]!);
    best = Math.max(best, s);
  }
  return best;
}

export function expm(a: ArrayLike<number>, n: number): Float64Array {
  if (a.length !== n * n) throw new Error(`expm: expected ${n}×${n} = ${n * n} entries, got ${a.length}`);
  const k = Math.max(0, Math.ceil(Math.log2(Math.max(norm1(a, n), 1e-300))));
  const scale = 2 ** -k;
  const b = Float64Array.from(a, (v) => v * scale);
  // Horner: T = I + B(I + B/2(I + B/3(… (I + B/20)))).
  let t: Float64Array = new Float64Array(n * n);
  for (let i = 0; i < n; i++) t[i * n + i] = 1;
  for (let term = 20; term >= 1; term--) {
    const bt = matmul(b, t, n, n, n);
    t = new Float64Array(n * n);
    for (let i = 0; i < n * n; i++) t[i] = bt[i]! / term;
    for (let i = 0; i < n; i++) t[i * n + i] = t[i * n + i]! + 1;
  }
  for (let s = 0; s < k; s++) t = matmul(t, t, n, n, n);
  return t;
}
