/**
 * ops/triangular.ts: (I + N)⁻¹ of strictly triangular N by the nilpotent product series, against
 * float64 forward substitution written here, at sizes on both sides of every power of two the
 * series' length depends on.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../../src-main/engine/backend';
import { unitTriangularInverse } from '../../../src-main/engine/ops/triangular';
import { tf } from '../../../src-main/engine/tf';

beforeAll(async () => {
  await initBackend('cpu');
});

/** (I + N)⁻¹ for strictly lower N by forward substitution, float64: column j solves (I + N)x = e_j. */
function unitLowerInverse64(strict: ArrayLike<number>, n: number): Float64Array {
  const inv = new Float64Array(n * n);
  for (let j = 0; j < n; j++) {
    for (let i = 0; i < n; i++) {
      let s = i === j ? 1 : 0;
      for (let k = 0; k < i; k++) s -= strict[i * n + k]! * inv[k * n + j]!;
      inv[i * n + j] = s;
    }
  }
  return inv;
}

describe('unitTriangularInverse', () => {
  for (const n of [1, 2, 3, 4, 5, 8, 9, 17, 33, 48]) {
    it(`inverts I + N for strictly lower and upper N, n = ${n}`, () => {
      const strict = tf.tidy(() => tf.mul(tf.randomNormal([n, n], 0, 0.3, 'float32', n), tf.sub(tf.linalg.bandPart(tf.ones([n, n]), -1, 0), tf.eye(n))));
      const values = strict.dataSync();
      const reference = unitLowerInverse64(values, n);
      const lower = tf.tidy(() => unitTriangularInverse(strict)).dataSync();
      // Upper: (I + Nᵀ)⁻¹ = ((I + N)⁻¹)ᵀ.
      const upper = tf.tidy(() => unitTriangularInverse(tf.transpose(strict))).dataSync();
      let scale = 0;
      for (const v of reference) scale = Math.max(scale, Math.abs(v));
      for (let i = 0; i < n; i++) {
        for (let j = 0; j < n; j++) {
          expect(Math.abs(lower[i * n + j]! - reference[i * n + j]!)).toBeLessThan(1e-6 * scale);
          expect(Math.abs(upper[j * n + i]! - reference[i * n + j]!)).toBeLessThan(1e-6 * scale);
        }
      }
      strict.dispose();
    });
  }

  it('refuses a non-square matrix', () => {
    expect(() => unitTriangularInverse(tf.zeros([2, 3]))).toThrow(/square matrix, got \[2,3\]/);
  });
});
