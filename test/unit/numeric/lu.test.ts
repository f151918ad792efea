/** Float64 host linear algebra against analytic cases and the test helper's own elimination. */
import { describe, expect, it } from 'vitest';
import { inverse, matmul, slogdet } from '../../../src-main/engine/numeric/lu';
import { logAbsDet64 } from '../flow/helpers';

/** Deterministic pseudo-random matrix (LCG), diagonally shifted to be well conditioned. */
function matrix(n: number, seed: number, shift = 0): Float64Array {
  const a = new Float64Array(n * n);
  let s = seed;
  for (let i = 0; i < n * n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    a[i] = s / 2 ** 32 - 0.5;
  }
  for (let i = 0; i < n; i++) a[i * n + i] = a[i * n + i]! + shift;
  return a;
}

describe('linalg64', () => {
  it('slogdet of triangular and permuted matrices is analytic', () => {
    // Upper triangular: det = product of the diagonal.
    const u = [2, 5, -1, 0, -3, 7, 0, 0, 0.5];
    const s = slogdet(u, 3);
    expect(s.sign).toBe(-1);
    expect(s.logAbsDet).toBeCloseTo(Math.log(3), 14);
    // A row swap of the identity has det −1.
    expect(slogdet([0, 1, 0, 1, 0, 0, 0, 0, 1], 3)).toEqual({ sign: -1, logAbsDet: 0 });
    expect(slogdet([1, 2, 2, 4], 2)).toEqual({ sign: 0, logAbsDet: -Infinity });
  });

  it('slogdet agrees with an independent elimination on random matrices', () => {
    for (const n of [1, 4, 9, 20]) {
      const a = matrix(n, n * 7 + 1);
      expect(Math.abs(slogdet(a, n).logAbsDet - logAbsDet64(a, n))).toBeLessThan(1e-10);
    }
  });

  it('inverse gives A·A⁻¹ = I to float64 precision', () => {
    for (const n of [1, 3, 12, 48]) {
      const a = matrix(n, n + 3, 1);
      const prod = matmul(a, inverse(a, n), n, n, n);
      let err = 0;
      for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) err = Math.max(err, Math.abs(prod[i * n + j]! - (i === j ? 1 : 0)));
      expect(err).toBeLessThan(1e-11);
    }
  });

  it('refuses singular matrices and mismatched sizes with a clear error', () => {
    expect(() => inverse([1, 2, 2, 4], 2)).toThrow(/singular/);
    expect(() => inverse([1, 2, 3], 2)).toThrow(/expected 2×2 = 4 entries, got 3/);
    expect(() => matmul([1, 2], [1, 2, 3], 1, 2, 2)).toThrow(/do not match/);
  });
});
