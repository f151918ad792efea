/**
 * Independent float64 references for the theory tests: a seeded RNG, Gaussian samples, the
 * cyclic Jacobi eigenvalue method for symmetric matrices (slow, O(n³) per sweep, but simple
 * and accurate), a naive DFT and a Gauss-Jordan inverse.
 */

import { rng } from '../../../helpers/random';

export { rng };

/** Standard normal by Box-Muller. */
export function gaussian(uniform: () => number): () => number {
  return () => {
    const u = Math.max(uniform(), 1e-300);
    const v = uniform();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
  };
}

/** Eigenvalues of a symmetric n × n matrix (row-major) by cyclic Jacobi rotations. */
export function symmetricEigenvalues(matrix: ArrayLike<number>, n: number): number[] {
  const a = Float64Array.from(matrix as ArrayLike<number>);
  for (let sweep = 0; sweep < 100; sweep++) {
    let off = 0;
    let scale = 0;
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < n; j++) {
        if (i !== j) off += a[i * n + j]! ** 2;
        scale += a[i * n + j]! ** 2;
      }
    }
    if (off <= 1e-30 * scale) break;
    for (let p = 0; p < n - 1; p++) {
      for (let q = p + 1; q < n; q++) {
        const apq = a[p * n + q]!;
        if (apq === 0) continue;
        const theta = (a[q * n + q]! - a[p * n + p]!) / (2 * apq);
        const t = Math.sign(theta || 1) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
        const c = 1 / Math.sqrt(t * t + 1);
        const s = t * c;
        for (let k = 0; k < n; k++) {
          const akp = a[k * n + p]!;
          const akq = a[k * n + q]!;
          a[k * n + p] = c * akp - s * akq;
          a[k * n + q] = s * akp + c * akq;
        }
        for (let k = 0; k < n; k++) {
          const apk = a[p * n + k]!;
          const aqk = a[q * n + k]!;
          a[p * n + k] = c * apk - s * aqk;
          a[q * n + k] = s * apk + c * aqk;
        }
      }
    }
  }
  return Array.from({ length: n }, (_, i) => a[i * n + i]!);
}

/** Largest singular value of an m × n matrix (row-major): √ of the top eigenvalue of AᵀA. */
export function largestSingularValue(matrix: ArrayLike<number>, m: number, n: number): number {
  const ata = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) {
      let s = 0;
      for (let k = 0; k < m; k++) s += matrix[k * n + i]! * matrix[k * n + j]!;
      ata[i * n + j] = s;
    }
  }
  return Math.sqrt(Math.max(...symmetricEigenvalues(ata, n)));
}

/** Naive O(n²) DFT. */
export function naiveDft(re: ArrayLike<number>, im: ArrayLike<number>): { re: number[]; im: number[] } {
  const n = re.length;
  const outRe: number[] = [];
  const outIm: number[] = [];
  for (let k = 0; k < n; k++) {
    let sr = 0;
    let si = 0;
    for (let t = 0; t < n; t++) {
      const angle = (-2 * Math.PI * ((k * t) % n)) / n;
      sr += re[t]! * Math.cos(angle) - im[t]! * Math.sin(angle);
      si += re[t]! * Math.sin(angle) + im[t]! * Math.cos(angle);
    }
    outRe.push(sr);
    outIm.push(si);
  }
  return { re: outRe, im: outIm };
}

/** Inverse of an n × n matrix by Gauss-Jordan with partial pivoting, and log|det|. */
export function inverseAndLogAbsDet(matrix: ArrayLike<number>, n: number): { inverse: Float64Array; logAbsDet: number } {
  const a = Float64Array.from(matrix as ArrayLike<number>);
  const inv = new Float64Array(n * n);
  for (let i = 0; i < n; i++) inv[i * n + i] = 1;
  let logAbsDet = 0;
  for (let col = 0; col < n; col++) {
    let pivot = col;
    for (let r = col + 1; r < n; r++) if (Math.abs(a[r * n + col]!) > Math.abs(a[pivot * n + col]!)) pivot = r;
    if (a[pivot * n + col] === 0) throw new Error('singular matrix');
    for (const m of [a, inv]) {
      for (let c = 0; c < n; c++) {
        const t = m[col * n + c]!;
        m[col * n + c] = m[pivot * n + c]!;
        m[pivot * n + c] = t;
      }
    }
    const p = a[col * n + col]!;
    logAbsDet += Math.log(Math.abs(p));
    for (let c = 0; c < n; c++) {
      a[col * n + c] = a[col * n + c]! / p;
      inv[col * n + c] = inv[col * n + c]! / p;
    }
    for (let r = 0; r < n; r++) {
      if (r === col) continue;
      const f = a[r * n + col]!;
      if (f === 0) continue;
      for (let c = 0; c < n; c++) {
        a[r * n + c] = a[r * n + c]! - f * a[col * n + c]!;
        inv[r * n + c] = inv[r * n + c]! - f * inv[col * n + c]!;
      }
    }
  }
  return { inverse: inv, logAbsDet };
}
