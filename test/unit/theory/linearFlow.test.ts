/**
 * The PPCA bound is the optimum of linear flows: a full linear flow z = W(x − b), trained by
 * gradient descent on the dequantised NLL in float32 tfjs (model units x = x̃/2ⁿ − 0.5), never
 * ends below it, and gets close to it.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../../src-main/engine/backend';
import { tf } from '../../../src-main/engine/tf';
import { arraySource, computeBounds } from '../../../src-main/engine/theory/bounds';
import { gaussian, inverseAndLogAbsDet, rng } from './helpers/reference64';

beforeAll(async () => {
  await initBackend('cpu');
});

/** log|det W| with the exact gradient W⁻ᵀ, both from a float64 Gauss-Jordan on the host. */
function logAbsDet(w: tf.Tensor2D): tf.Scalar {
  const d = w.shape[0];
  const op = tf.customGrad((...inputs: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const matrix = inputs[0] as tf.Tensor;
    const { inverse, logAbsDet: value } = inverseAndLogAbsDet(matrix.dataSync(), d);
    const inverseT = new Float32Array(d * d);
    for (let i = 0; i < d; i++) for (let j = 0; j < d; j++) inverseT[i * d + j] = inverse[j * d + i]!;
    return {
      value: tf.scalar(value),
      gradFunc: (dy: tf.Tensor) => [tf.mul(dy, tf.tensor2d(inverseT, [d, d]))],
    };
  });
  return op(w) as tf.Scalar;
}

describe('linear flow vs the PPCA optimum', () => {
  it('a trained z = W(x − b) is never below the bound, and close to it', async () => {
    const bits = 4;
    const d = 4;
    const n = 400;
    const normal = gaussian(rng(2024));
    const a = [2.5, 0, 0, 0, 1.5, 1.2, 0, 0, -1, 0.5, 0.8, 0, 0.7, 0.7, 0.7, 1.9];
    const data = new Uint8Array(n * d);
    for (let e = 0; e < n; e++) {
      const g = Array.from({ length: d }, normal);
      for (let i = 0; i < d; i++) {
        let s = 7.5;
        for (let k = 0; k < d; k++) s += a[i * d + k]! * g[k]!;
        data[e * d + i] = Math.max(0, Math.min(15, Math.floor(s)));
      }
    }
    const bound = await computeBounds(arraySource(data, [2, 2, 1], bits));

    // Train in model units. NLL(x̃) = ½ d log 2π + ½‖W(x − b)‖² − log|det W| + d·n·ln 2.
    const scale = 2 ** bits;
    const k = tf.tensor2d(data, [n, d], 'float32');
    const w = tf.variable(tf.mul(tf.eye(d), 4) as tf.Tensor2D, true, 'W');
    const b = tf.variable(tf.zeros([d]), true, 'b');
    const nllBpd = (): tf.Scalar =>
      tf.tidy(() => {
        const x = tf.sub(tf.div(tf.add(k, tf.randomUniform([n, d])), scale), 0.5);
        const z = tf.matMul(tf.sub(x, b), w, false, true);
        const quad = tf.mean(tf.sum(tf.square(z), 1));
        const nats = tf.add(tf.sub(tf.mul(quad, 0.5), logAbsDet(w)), 0.5 * d * Math.log(2 * Math.PI) + d * bits * Math.LN2);
        return tf.div(nats, d * Math.LN2) as tf.Scalar;
      });
    // Adam with a stepped learning rate (a fresh optimiser per phase).
    for (const [lr, steps] of [[0.1, 400], [0.01, 200], [0.001, 100]] as const) {
      const optimizer = tf.train.adam(lr);
      for (let step = 0; step < steps; step++) optimizer.minimize(nllBpd, true, [w, b])?.dispose();
      optimizer.dispose();
    }

    // The trained flow's exact expected NLL over the dequantisation, pointwise in float64:
    // E_u‖W(x − b)‖² = ‖W(k + ½ − c)‖²/s² + tr(WᵀW)/(12 s²), with c = (b + ½)·s in x̃ units.
    const wv = Array.from(w.dataSync());
    const bv = Array.from(b.dataSync());
    const { logAbsDet: ld } = inverseAndLogAbsDet(wv, d);
    let trace = 0;
    for (const value of wv) trace += value * value;
    let quad = 0;
    for (let e = 0; e < n; e++) {
      for (let i = 0; i < d; i++) {
        let zi = 0;
        for (let j = 0; j < d; j++) zi += wv[i * d + j]! * ((data[e * d + j]! + 0.5) / scale - 0.5 - bv[j]!);
        quad += (zi * zi) / n;
      }
    }
    quad += trace / (12 * scale * scale);
    const trainedBpd = (0.5 * d * Math.log(2 * Math.PI) + 0.5 * quad - ld + d * bits * Math.LN2) / (d * Math.LN2);

    expect(bound.ppcaBpd).toBeLessThanOrEqual(trainedBpd + 1e-12);
    expect(trainedBpd - bound.ppcaBpd).toBeLessThan(0.002);
    // The data are far from uniform: the bound is well below the 4 bpd of a uniform model.
    expect(bound.ppcaBpd).toBeLessThan(3.5);
    tf.dispose([k, w, b]);
  });
});
