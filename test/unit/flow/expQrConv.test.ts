/**
 * The GL⁺ parameterisation of f_conv, W = exp(A)·R: κ·I at init, a weight the LU form cannot
 * reach, log-det against the autodiff Jacobian, inverse, gradients against float64 finite
 * differences, the host expm against closed forms.
 */
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../../src-main/engine/backend';
import { ExpQrConv } from '../../../src-main/engine/flow/layers/expQrConv';
import { expm } from '../../../src-main/engine/numeric/expm';
import { matmul } from '../../../src-main/engine/numeric/lu';
import { squeeze } from '../../../src-main/engine/ops/squeeze';
import { tf } from '../../../src-main/engine/tf';
import { jacobianLogDet, logAbsDet64, maxAbsDiff, perturb } from './helpers';

beforeAll(async () => {
  await initBackend('cpu');
});

const made: ExpQrConv[] = [];
afterEach(() => {
  for (const l of made.splice(0)) l.dispose();
});

let counter = 0;
function layer(channels: number, kernel: number, kappa = 1.25): ExpQrConv {
  const l = new ExpQrConv({
    descriptor: { name: 'L1.B1.conv', level: 0, block: 0, kind: 'conv' },
    channels,
    kernel,
    kappa,
    variablePrefix: `expqr-test-${++counter}/`,
  });
  made.push(l);
  return l;
}

describe('expm (float64)', () => {
  it('gives the rotation of a 2×2 skew matrix and e^λ of a diagonal one', () => {
    for (const theta of [0.3, 2, Math.PI, 7.5]) {
      const r = expm([0, -theta, theta, 0], 2);
      const expected = [Math.cos(theta), -Math.sin(theta), Math.sin(theta), Math.cos(theta)];
      for (let i = 0; i < 4; i++) expect(Math.abs(r[i]! - expected[i]!)).toBeLessThan(1e-13);
    }
    const d = expm([1.5, 0, 0, -40], 2);
    expect(d[0]! / Math.exp(1.5) - 1).toBeCloseTo(0, 12);
    expect(d[3]! / Math.exp(-40) - 1).toBeCloseTo(0, 10);
  });
});

/** W in float64 from the parameters, written independently of the layer. */
function weightFromParams(qr: Float64Array, logScale: Float64Array, n: number): Float64Array {
  const a = new Float64Array(n * n);
  const r = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < i; j++) {
      a[i * n + j] = qr[i * n + j]!;
      a[j * n + i] = -qr[i * n + j]!;
      r[j * n + i] = qr[j * n + i]!;
    }
    r[i * n + i] = Math.exp(logScale[i]!);
  }
  return matmul(expm(a, n), r, n, n, n);
}

describe('ExpQrConv (f_conv, W = exp(A)·R)', () => {
  it('starts as κ·I', () => {
    const l = layer(2, 2, 1.25);
    const w = l.weight64();
    for (let i = 0; i < 8; i++) for (let j = 0; j < 8; j++) expect(Math.abs(w[i * 8 + j]! - (i === j ? 1.25 : 0))).toBeLessThan(1e-7); // log κ is a float32
    const x = tf.randomNormal([3, 4, 6, 2], 0, 1, 'float32', 1);
    const { y, logdet } = l.forward(x);
    expect(maxAbsDiff(y, tf.mul(squeeze(x, 2), 1.25))).toBeLessThan(1e-6);
    for (const v of logdet.dataSync()) expect(v).toBeCloseTo(6 * 8 * Math.log(1.25), 4);
  });

  it('reaches −κ·I on a 2-D subspace: det > 0, first leading minor < 0, out of the LU form\'s reach', () => {
    const l = layer(3, 1, 1.25);
    const [qr] = l.variables as [tf.Variable];
    // A₁₀ = π: exp(A) is the rotation by π in the plane of the first two coordinates.
    qr.assign(tf.tensor2d([0, 0, 0, Math.PI, 0, 0, 0, 0, 0], [3, 3]));
    const w = l.weight64();
    const expected = [-1.25, 0, 0, 0, -1.25, 0, 0, 0, 1.25];
    for (let i = 0; i < 9; i++) expect(Math.abs(w[i]! - expected[i]!)).toBeLessThan(1e-6); // π and log κ are float32
    const device = l.weight().dataSync();
    for (let i = 0; i < 9; i++) expect(Math.abs(device[i]! - expected[i]!)).toBeLessThan(1e-5);
    // W = L(U + diag e^s) has first leading minor e^{s₁} > 0; this W's is −1.25.
    expect(w[0]!).toBeLessThan(0);
    expect(logAbsDet64(w, 3)).toBeCloseTo(3 * Math.log(1.25), 6);
    const x = tf.randomNormal([4, 2, 2, 3], 0, 1, 'float32', 2);
    expect(maxAbsDiff(l.inverse(l.forward(x).y).x, x)).toBeLessThan(1e-5);
  });

  for (const [name, shape, kernel] of [
    ['k=2 on 4×4×2', [1, 4, 4, 2], 2],
    ['k=1 on 3×3×3', [1, 3, 3, 3], 1],
    ['vectors, d=5', [1, 5], 1],
  ] as [string, number[], number][]) {
    it(`inverts and its log-det equals log|det J| (autodiff + float64 LU): ${name}`, () => {
      const l = layer(shape[shape.length - 1]!, kernel);
      perturb(l.variables, 1, 11);
      const x = tf.randomNormal(shape, 0, 1, 'float32', 2);
      const reference = jacobianLogDet((v) => l.forward(v).y, x);
      expect(Math.abs(l.forward(x).logdet.dataSync()[0]! - reference)).toBeLessThan(1e-4 * Math.max(1, Math.abs(reference)));
      const batch = tf.randomNormal([4, ...shape.slice(1)], 0, 1, 'float32', 3);
      expect(maxAbsDiff(l.inverse(l.forward(batch).y).x, batch)).toBeLessThan(1e-4);
      // The device weight and the float64 one agree.
      const n = l.size;
      const w64 = l.weight64();
      const w32 = l.weight().dataSync();
      let worst = 0;
      for (let i = 0; i < n * n; i++) worst = Math.max(worst, Math.abs(w32[i]! - w64[i]!));
      expect(worst).toBeLessThan(1e-5);
    });
  }

  it('gradients of log-det and output match float64 finite differences of W(θ)', () => {
    const [h, w, c, k] = [4, 2, 1, 2];
    const n = k * k * c;
    const pixels = (h * w) / (k * k);
    const l = layer(c, k);
    perturb(l.variables, 0.5, 12);
    const x = tf.randomNormal([1, h, w, c], 0, 1, 'float32', 4);
    const r = tf.randomNormal([1, h / k, w / k, n], 0, 1, 'float32', 5);
    const { grads } = tf.variableGrads(() => {
      const out = l.forward(x);
      return tf.add(tf.sum(out.logdet), tf.sum(tf.mul(out.y, r))) as tf.Scalar;
    }, [...l.variables]);
    const [qrVar, lsVar] = l.variables as [tf.Variable, tf.Variable];
    const analytic = [...grads[qrVar.name]!.dataSync(), ...grads[lsVar.name]!.dataSync()];
    const params = Float64Array.from([...qrVar.dataSync(), ...lsVar.dataSync()]);
    const xs = Float64Array.from(squeeze(x, k).dataSync());
    const rs = Float64Array.from(r.dataSync());
    const f64 = (p: Float64Array): number => {
      const wm = weightFromParams(p.subarray(0, n * n), p.subarray(n * n), n);
      let out = pixels * logAbsDet64(wm, n);
      for (let q = 0; q < pixels; q++)
        for (let j = 0; j < n; j++) {
          let yj = 0;
          for (let i = 0; i < n; i++) yj += xs[q * n + i]! * wm[i * n + j]!;
          out += yj * rs[q * n + j]!;
        }
      return out;
    };
    const eps = 1e-6;
    let worst = 0;
    let scale = 0;
    for (let i = 0; i < params.length; i++) {
      const up = Float64Array.from(params);
      const down = Float64Array.from(params);
      up[i] = up[i]! + eps;
      down[i] = down[i]! - eps;
      const numeric = (f64(up) - f64(down)) / (2 * eps);
      worst = Math.max(worst, Math.abs(analytic[i]! - numeric));
      scale = Math.max(scale, Math.abs(numeric));
    }
    expect(scale).toBeGreaterThan(0.5);
    expect(worst).toBeLessThan(1e-4 * scale);
  });

  it('keeps the tensor count constant across forward, inverse and gradient calls', () => {
    const l = layer(2, 2);
    const x = tf.randomNormal([2, 4, 4, 2], 0, 1, 'float32', 6);
    const round = () => {
      const { y, logdet } = l.forward(x);
      const back = l.inverse(y);
      const { value, grads } = tf.variableGrads(() => tf.sum(l.forward(x).y) as tf.Scalar, [...l.variables]);
      tf.dispose([y, logdet, back.x, back.logdet, value, ...Object.values(grads)]);
    };
    round();
    const before = tf.memory().numTensors;
    for (let i = 0; i < 3; i++) round();
    expect(tf.memory().numTensors).toBe(before);
  });
});
