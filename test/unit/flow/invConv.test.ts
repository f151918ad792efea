/** f_conv: initialisation, inverse, log-det against the autodiff Jacobian, gradients against float64 finite differences. */
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../../src-main/engine/backend';
import { ExpQrConv } from '../../../src-main/engine/flow/layers/expQrConv';
import { InvertibleConv } from '../../../src-main/engine/flow/layers/invConv';
import { inverse as inverse64 } from '../../../src-main/engine/numeric/lu';
import { squeeze } from '../../../src-main/engine/ops/squeeze';
import { tf } from '../../../src-main/engine/tf';
import { jacobianLogDet, logAbsDet64, maxAbsDiff, perturb } from './helpers';

beforeAll(async () => {
  await initBackend('cpu');
});

const made: (InvertibleConv | ExpQrConv)[] = [];
afterEach(() => {
  for (const layer of made.splice(0)) layer.dispose();
});

let counter = 0;
function layer(channels: number, kernel: number, kappa = 1.25): InvertibleConv {
  const l = new InvertibleConv({
    descriptor: { name: 'L1.B1.conv', level: 0, block: 0, kind: 'conv' },
    channels,
    kernel,
    kappa,
    variablePrefix: `invconv-test-${++counter}/`,
  });
  made.push(l);
  return l;
}

/** The GL⁺ parameterisation (expQrConv.ts), for the checks both forms must pass. */
function expQrLayer(channels: number, kernel: number, kappa = 1.25): ExpQrConv {
  const l = new ExpQrConv({
    descriptor: { name: 'L1.B1.conv', level: 0, block: 0, kind: 'conv' },
    channels,
    kernel,
    kappa,
    variablePrefix: `invconv-test-${++counter}/`,
  });
  made.push(l);
  return l;
}

/** W = (I + strict lower of lu)·(strict upper of lu + diag(exp(logScale))), float64, written independently. */
function weightFromParams(lu: Float64Array, logScale: Float64Array, n: number): Float64Array {
  const w = new Float64Array(n * n);
  for (let i = 0; i < n; i++)
    for (let j = 0; j < n; j++) {
      let s = 0;
      for (let k = 0; k <= Math.min(i, j); k++) {
        const l = k === i ? 1 : lu[i * n + k]!;
        const u = k === j ? Math.exp(logScale[k]!) : lu[k * n + j]!;
        s += l * u;
      }
      w[i * n + j] = s;
    }
  return w;
}

describe('InvertibleConv (f_conv)', () => {
  it('starts as κ·I with log|det| = pixels·n·log κ', () => {
    const l = layer(2, 2, 1.25);
    const w = l.weight64();
    for (let i = 0; i < 8; i++) for (let j = 0; j < 8; j++) expect(w[i * 8 + j]).toBeCloseTo(i === j ? 1.25 : 0, 6);
    const { y, logdet } = l.forward(tf.randomNormal([3, 4, 6, 2], 0, 1, 'float32', 1));
    expect(y.shape).toEqual([3, 2, 3, 8]);
    // h·w/k² = 6 pixels, n = 8.
    for (const v of logdet.dataSync()) expect(v).toBeCloseTo(6 * 8 * Math.log(1.25), 4);
  });

  for (const [name, shape, kernel] of [
    ['k=2 on 4×4×2 (squeeze + 8×8 W)', [1, 4, 4, 2], 2],
    ['k=1 on 3×3×3 (Glow 1×1)', [1, 3, 3, 3], 1],
    ['vectors, d=5', [1, 5], 1],
  ] as [string, number[], number][]) {
    it(`inverts and its log-det equals log|det J| (autodiff + float64 LU): ${name}`, () => {
      const l = layer(shape[shape.length - 1]!, kernel);
      perturb(l.variables, 0.3, 11);
      const x = tf.randomNormal(shape, 0, 1, 'float32', 2);
      const { y, logdet } = l.forward(x);
      const reference = jacobianLogDet((v) => l.forward(v).y, x);
      expect(Math.abs(logdet.dataSync()[0]! - reference)).toBeLessThan(1e-3 * Math.max(1, Math.abs(reference)));
      const batch = tf.randomNormal([4, ...shape.slice(1)], 0, 1, 'float32', 3);
      expect(maxAbsDiff(l.inverse(l.forward(batch).y).x, batch)).toBeLessThan(1e-5);
      expect(y.shape[0]).toBe(1);
    });
  }

  it('computes W⁻¹ on the device to float32 accuracy of the float64 inverse, at the paper sizes (n up to 48)', () => {
    // n = 48: the first conv of paper-cifar10's level 3 (k = 2 on 12 channels) and its k = 1 convs.
    let worst = 0;
    for (const n of [4, 12, 48]) {
      for (const [i, sigma] of [0.02, 0.1, 0.3].entries()) {
        const l = layer(n, 1, 1.118);
        const [lu, logScale] = l.variables as [tf.Variable, tf.Variable];
        tf.tidy(() => {
          lu.assign(tf.randomNormal([n, n], 0, sigma, 'float32', 100 * n + i));
          logScale.assign(tf.add(logScale, tf.randomNormal([n], 0, 0.3, 'float32', 200 * n + i)));
        });
        const w = l.weight64();
        const reference = inverse64(w, n);
        const device = tf.tidy(() => l.inverseWeight()).dataSync();
        let err = 0;
        let scale = 0;
        for (let e = 0; e < n * n; e++) {
          err = Math.max(err, Math.abs(device[e]! - reference[e]!));
          scale = Math.max(scale, Math.abs(reference[e]!));
        }
        worst = Math.max(worst, err / scale);
        expect(err / scale).toBeLessThan(1e-6);
      }
    }
    console.log(`[invConv] device W⁻¹ vs float64 inverse, n ≤ 48: worst relative error ${worst.toExponential(2)}`);
  });

  it('gradients of log-det and output match float64 finite differences of W(θ)', () => {
    const [h, w, c, k] = [4, 2, 1, 2];
    const n = k * k * c;
    const pixels = (h * w) / (k * k);
    const l = layer(c, k);
    perturb(l.variables, 0.3, 12);
    const x = tf.randomNormal([1, h, w, c], 0, 1, 'float32', 4);
    const r = tf.randomNormal([1, h / k, w / k, n], 0, 1, 'float32', 5);
    // Objective: log|det| + Σ y·r.
    const objective = () => {
      const out = l.forward(x);
      return tf.add(tf.sum(out.logdet), tf.sum(tf.mul(out.y, r))) as tf.Scalar;
    };
    const { grads } = tf.variableGrads(objective, [...l.variables]);
    const [luVar, lsVar] = l.variables as [tf.Variable, tf.Variable];
    const gLu = grads[luVar.name]!.dataSync();
    const gLs = grads[lsVar.name]!.dataSync();

    const lu = Float64Array.from(luVar.dataSync());
    const ls = Float64Array.from(lsVar.dataSync());
    const xs = Float64Array.from(squeeze(x, k).dataSync());
    const rs = Float64Array.from(r.dataSync());
    const f64 = (luP: Float64Array, lsP: Float64Array): number => {
      const wm = weightFromParams(luP, lsP, n);
      let out = pixels * logAbsDet64(wm, n);
      for (let p = 0; p < pixels; p++)
        for (let j = 0; j < n; j++) {
          let yj = 0;
          for (let i = 0; i < n; i++) yj += xs[p * n + i]! * wm[i * n + j]!;
          out += yj * rs[p * n + j]!;
        }
      return out;
    };
    const eps = 1e-6;
    let worst = 0;
    let scale = 0;
    const check = (analytic: number, numeric: number) => {
      worst = Math.max(worst, Math.abs(analytic - numeric));
      scale = Math.max(scale, Math.abs(numeric));
    };
    for (let i = 0; i < n * n; i++) {
      const up = Float64Array.from(lu);
      const down = Float64Array.from(lu);
      up[i] = up[i]! + eps;
      down[i] = down[i]! - eps;
      check(gLu[i]!, (f64(up, ls) - f64(down, ls)) / (2 * eps));
    }
    for (let i = 0; i < n; i++) {
      const up = Float64Array.from(ls);
      const down = Float64Array.from(ls);
      up[i] = up[i]! + eps;
      down[i] = down[i]! - eps;
      check(gLs[i]!, (f64(lu, up) - f64(lu, down)) / (2 * eps));
    }
    expect(scale).toBeGreaterThan(0.5);
    expect(worst).toBeLessThan(1e-4 * scale);

    // The log-det alone: d/dlogScale = pixels for every entry, d/dlu = 0 (det depends on s only).
    const ld = tf.variableGrads(() => tf.sum(l.forward(x).logdet) as tf.Scalar, [...l.variables]).grads;
    for (const v of ld[lsVar.name]!.dataSync()) expect(v).toBeCloseTo(pixels, 5);
    // tfjs omits variables the value does not depend on: lu does not enter the log-det at all.
    expect(ld[luVar.name]).toBeUndefined();
  });

  it('keeps the tensor count constant across forward, inverse and gradient calls', () => {
    const l = layer(2, 2);
    const x = tf.randomNormal([2, 4, 4, 2], 0, 1, 'float32', 6);
    const round = () => {
      const { y, logdet } = l.forward(x);
      const back = l.inverse(y);
      const { value, grads } = tf.variableGrads(() => tf.sum(l.forward(x).logdet) as tf.Scalar, [...l.variables]);
      tf.dispose([y, logdet, back.x, back.logdet, value, ...Object.values(grads)]);
    };
    round();
    const before = tf.memory().numTensors;
    for (let i = 0; i < 3; i++) round();
    expect(tf.memory().numTensors).toBe(before);
  });

  it('names the problem for bad inputs', () => {
    const l = layer(2, 2);
    expect(() => l.forward(tf.zeros([1, 4, 4, 3]))).toThrow(/L1\.B1\.conv: expects \[batch, 2\] or \[batch, h, w, 2\]/);
    expect(() => l.forward(tf.zeros([1, 5, 4, 2]))).toThrow(/divisible by 2/);
    expect(() => l.forward(tf.zeros([1, 2]))).toThrow(/vector inputs need kernel 1/);
    expect(() => l.inverse(tf.zeros([1, 2, 2, 3])).x).toThrow(/inverse expects 8 channels/);
    expect(() => layer(2, 2, 0)).toThrow(/κ must be positive/);
  });
});


describe('f_conv is a k×k convolution with stride k', () => {
  // The kernel of the equivalent convolution: filter[a, b, ch, o] = W[(a·k + b)·c + ch, o]
  // (output pixel (i, j) reads input pixels (k·i + a, k·j + b)); W from the float64 rebuild.
  function kernelFromWeight(w: Float64Array, k: number, c: number): tf.Tensor4D {
    const n = k * k * c;
    const filter = new Float32Array(k * k * c * n);
    for (let a = 0; a < k; a++)
      for (let b = 0; b < k; b++)
        for (let ch = 0; ch < c; ch++)
          for (let o = 0; o < n; o++) filter[((a * k + b) * c + ch) * n + o] = w[((a * k + b) * c + ch) * n + o]!;
    return tf.tensor4d(filter, [k, k, c, n]);
  }

  for (const [k, c] of [
    [2, 2],
    [3, 1],
    [1, 3],
  ] as [number, number][]) {
    it(`equals tf.conv2d with stride ${k} and the kernel built from W (c = ${c}), to 1e-5`, () => {
      for (const make of [layer, expQrLayer]) {
        const l = make(c, k);
        perturb(l.variables, 0.3, 31 + k);
        const x = tf.randomNormal([2, 2 * k, 3 * k, c], 0, 1, 'float32', 7);
        const reference = tf.conv2d(x as tf.Tensor4D, kernelFromWeight(l.weight64(), k, c), k, 'valid');
        const { y } = l.forward(x);
        expect(y.shape).toEqual(reference.shape);
        expect(maxAbsDiff(y, reference)).toBeLessThan(1e-5);
        // Not vacuous: the weight is far from κ·I, so a wrong layout would show.
        expect(maxAbsDiff(y, tf.mul(squeeze(x, k), 1.25))).toBeGreaterThan(0.1);
      }
    });
  }
});
