/**
 * Power-iteration Lipschitz estimates against spectral norms computed independently in float64
 * (Jacobi eigenvalues of JᵀJ built on the host).
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../../src-main/engine/backend';
import { tf } from '../../../src-main/engine/tf';
import { estimateLipschitz, jvpDoubleVjp, jvpFiniteDifference } from '../../../src-main/engine/theory/lipschitz';
import { gaussian, largestSingularValue, rng } from './helpers/reference64';

beforeAll(async () => {
  await initBackend('cpu');
});

function randomMatrix(m: number, n: number, seed: number): number[] {
  const normal = gaussian(rng(seed));
  return Array.from({ length: m * n }, normal);
}

describe('reference', () => {
  it('largestSingularValue of a known matrix', () => {
    // diag(3, 2) rotated: singular values 3 and 2.
    const c = Math.cos(0.3);
    const s = Math.sin(0.3);
    const m = [3 * c, -2 * s, 3 * s, 2 * c];
    expect(largestSingularValue(m, 2, 2)).toBeCloseTo(3, 12);
  });
});

describe('estimateLipschitz', () => {
  it('equals the largest singular value of a linear map to 1e-3 (both JVP methods)', async () => {
    const [m, n] = [12, 10];
    const w = randomMatrix(m, n, 4);
    const sigma = largestSingularValue(w, m, n);
    const wt = tf.tensor2d(w, [m, n]);
    const f = (x: tf.Tensor): tf.Tensor => tf.matMul(x as tf.Tensor2D, wt, false, true);
    const x = tf.randomNormal([3, n], 0, 1, 'float32', 5);
    const before = tf.memory().numTensors;
    const auto = await estimateLipschitz(f, x, { iterations: 100 });
    expect(tf.memory().numTensors).toBe(before);
    expect(auto.method).toBe('double-vjp');
    expect(Math.abs(auto.estimate - sigma) / sigma).toBeLessThan(1e-3);
    for (const value of auto.perExample) expect(Math.abs(value - sigma) / sigma).toBeLessThan(1e-3);
    const fd = await estimateLipschitz(f, x, { iterations: 100, method: 'finite-difference' });
    expect(Math.abs(fd.estimate - sigma) / sigma).toBeLessThan(1e-3);
    tf.dispose([wt, x]);
  });

  it('per example for a nonlinear map: ‖diag(2(1 − tanh²(Wx + c))) W‖', async () => {
    const [m, n] = [8, 8];
    const w = randomMatrix(m, n, 6).map((v) => v * 0.5);
    const c = randomMatrix(1, m, 7);
    const xs = randomMatrix(4, n, 8);
    const wt = tf.tensor2d(w, [m, n]);
    const ct = tf.tensor1d(c);
    const f = (x: tf.Tensor): tf.Tensor => tf.mul(tf.tanh(tf.add(tf.matMul(x as tf.Tensor2D, wt, false, true), ct)), 2);
    const x = tf.tensor2d(xs, [4, n]);
    const result = await estimateLipschitz(f, x, { iterations: 200 });
    for (let b = 0; b < 4; b++) {
      const jac: number[] = [];
      for (let i = 0; i < m; i++) {
        let pre = c[i]!;
        for (let k = 0; k < n; k++) pre += w[i * n + k]! * xs[b * n + k]!;
        const slope = 2 * (1 - Math.tanh(pre) ** 2);
        for (let k = 0; k < n; k++) jac.push(slope * w[i * n + k]!);
      }
      const sigma = largestSingularValue(jac, m, n);
      expect(Math.abs(result.perExample[b]! - sigma) / sigma).toBeLessThan(1e-3);
    }
    expect(result.estimate).toBe(Math.max(...result.perExample));
    tf.dispose([wt, ct, x]);
  });

  it('a 3×3 convolution (NHWC, same padding) against its dense Jacobian', async () => {
    const [h, w, ci, co] = [5, 4, 2, 3];
    const kernel = randomMatrix(1, 3 * 3 * ci * co, 9);
    const kt = tf.tensor4d(kernel, [3, 3, ci, co]);
    const f = (x: tf.Tensor): tf.Tensor => tf.conv2d(x as tf.Tensor4D, kt, 1, 'same');
    // Dense J: out[y, x, o] = Σ_{a,b,i} K[a, b, i, o] · in[y + a − 1, x + b − 1, i].
    const dIn = h * w * ci;
    const dOut = h * w * co;
    const jac = new Float64Array(dOut * dIn);
    for (let y = 0; y < h; y++) {
      for (let x = 0; x < w; x++) {
        for (let o = 0; o < co; o++) {
          for (let a = 0; a < 3; a++) {
            for (let b = 0; b < 3; b++) {
              const yy = y + a - 1;
              const xx = x + b - 1;
              if (yy < 0 || yy >= h || xx < 0 || xx >= w) continue;
              for (let i = 0; i < ci; i++) {
                jac[((y * w + x) * co + o) * dIn + (yy * w + xx) * ci + i]! += kernel[((a * 3 + b) * ci + i) * co + o]!;
              }
            }
          }
        }
      }
    }
    const sigma = largestSingularValue(jac, dOut, dIn);
    const x = tf.randomNormal([2, h, w, ci], 0, 1, 'float32', 3);
    const result = await estimateLipschitz(f, x, { iterations: 300 });
    expect(result.method).toBe('double-vjp');
    expect(Math.abs(result.estimate - sigma) / sigma).toBeLessThan(1e-3);
    tf.dispose([kt, x]);
  });

  it('falls back to finite differences when a custom gradient is not differentiable', async () => {
    // The gradient reads dy on the host, so it leaves tfjs's tape: the double VJP cannot work.
    const triple = tf.customGrad((...inputs: (tf.Tensor | tf.GradSaveFunc)[]) => {
      const x = inputs[0] as tf.Tensor;
      return {
        value: tf.mul(x, 3),
        gradFunc: (dy: tf.Tensor) => [tf.tensor(Array.from(dy.dataSync(), (v) => 3 * v), dy.shape)],
      };
    });
    const f = (x: tf.Tensor): tf.Tensor => triple(x) as tf.Tensor;
    const x = tf.randomNormal([2, 6], 0, 1, 'float32', 1);
    const v = tf.ones([2, 6]);
    let doubleWorks: boolean;
    try {
      const jv = jvpDoubleVjp(f, x, v);
      doubleWorks = Math.abs(jv.dataSync()[0]! - 3) < 1e-3;
      jv.dispose();
    } catch {
      doubleWorks = false;
    }
    expect(doubleWorks).toBe(false);
    const fd = jvpFiniteDifference(f, x, v);
    expect(fd.dataSync()[0]!).toBeCloseTo(3, 3);
    const result = await estimateLipschitz(f, x, { iterations: 5 });
    expect(result.method).toBe('finite-difference');
    expect(result.estimate).toBeCloseTo(3, 3);
    tf.dispose([x, v, fd]);
  });

  it('rejects bad arguments with a reason', async () => {
    const x = tf.ones([3]);
    await expect(estimateLipschitz((t) => t, x)).rejects.toThrow(/batch/);
    const batch = tf.ones([1, 3]);
    await expect(estimateLipschitz((t) => t, batch, { iterations: 0 })).rejects.toThrow(/iterations/);
    tf.dispose([x, batch]);
  });
});
