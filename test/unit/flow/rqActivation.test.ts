/**
 * The RQ activation f_act on the cpu backend: invertibility on 10⁵ points (box, knots, ±w, tails,
 * ±T and beyond), derivative against an independent float64 reference and against autodiff,
 * log-det, parameter gradients against finite differences of the reference, finiteness of every
 * gradient, the linear initialisation, the paper's f' ≤ 1 claim (refuted) and the strict
 * variant's guarantee, and tensor bookkeeping. rqActivation.wasm.test.ts repeats the backend-
 * sensitive parts on wasm.
 */
import { beforeAll, describe, expect, test } from 'vitest';
import { initBackend } from '../../../src-main/engine/backend';
import { tf } from '../../../src-main/engine/tf';
import { RQActivation } from '../../../src-main/engine/flow/layers/rqActivation';
import { referenceBins, referenceDerivative, referenceForward } from './rqReference';
import { f32, makeLayer, randomize, readParams, rng, samplePoints, settings } from './rqHelpers';

beforeAll(async () => {
  await initBackend('cpu');
});

const C = 4;
/** Moderate random parameters: bin slopes and knot derivatives mostly in (0.05, 0.95). */
const TYPICAL = { x: 1, y: 1.2, a: 1.2, logW: 0.3 };

function edgesOf(layer: RQActivation): number[][] {
  const k = layer.knots();
  // knots (±w among them), their float32 neighbours
  return k.x.map((row) => row.flatMap((v) => [v, f32(v * (1 + 2 ** -23)), f32(v * (1 - 2 ** -23))]));
}

/** Max error split into |v| ≤ 10 (absolute) and beyond (relative). */
function errors(expected: ArrayLike<number>, actual: ArrayLike<number>): { abs: number; rel: number } {
  let abs = 0;
  let rel = 0;
  for (let i = 0; i < expected.length; i++) {
    const e = expected[i]!;
    const d = Math.abs(actual[i]! - e);
    if (Math.abs(e) <= 10) abs = Math.max(abs, d);
    else rel = Math.max(rel, d / Math.abs(e));
  }
  return { abs, rel };
}

describe.each(['paper', 'strict'] as const)('variant %s', (variant) => {
  test('inverse(forward(x)) = x and forward(inverse(y)) = y on 10⁵ points, random parameters', () => {
    const layer = makeLayer({ channels: C, variant });
    randomize(layer, variant === 'paper' ? 11 : 12, TYPICAL);
    const n = 25_000;
    const xs = samplePoints(n, edgesOf(layer), layer.tailBound, 3, 2);
    const x = tf.tensor2d(xs, [n, C]);
    const { y, logdet } = layer.forward(x);
    const back = layer.inverse(y).x;
    const e1 = errors(xs, back.dataSync());
    // forward(inverse(y)) on points sampled in y-space: the knot images, the tails, ±f(T).
    const kn = layer.knots();
    const yEdges = kn.y.map((row) => row.flatMap((v) => [v, f32(v * (1 + 2 ** -23)), f32(v * (1 - 2 ** -23))]));
    const ys = samplePoints(n, yEdges, layer.tailBound * layer.initialSlope, 4, 2);
    const yIn = tf.tensor2d(ys, [n, C]);
    const xOut = layer.inverse(yIn).x;
    const yBack = layer.forward(xOut).y;
    const e2 = errors(ys, yBack.dataSync());
    console.log(`[${variant}] inverse(forward(x)): max abs err (|x|≤10) ${e1.abs.toExponential(2)}, max rel err beyond ${e1.rel.toExponential(2)}; forward(inverse(y)): ${e2.abs.toExponential(2)}, ${e2.rel.toExponential(2)}`);
    expect(Number.isFinite(logdet.sum().dataSync()[0]!)).toBe(true);
    expect(e1.abs).toBeLessThanOrEqual(1e-5);
    expect(e1.rel).toBeLessThanOrEqual(1e-5);
    expect(e2.abs).toBeLessThanOrEqual(1e-5);
    expect(e2.rel).toBeLessThanOrEqual(1e-5);
    tf.dispose([x, y, logdet, back, yIn, xOut, yBack]);
    layer.dispose();
  });

  test('f and f\' against an independent float64 reference (finite differences), autodiff and the log-det', () => {
    const layer = makeLayer({ channels: C, variant });
    randomize(layer, variant === 'paper' ? 21 : 22, TYPICAL);
    const n = 2000;
    const xs = samplePoints(n, edgesOf(layer), layer.tailBound, 5, 2);
    const params = readParams(layer);
    const s = settings(layer);
    const kn = layer.knots();
    const bins = Array.from({ length: C }, (_, c) => referenceBins(params, c, s));
    const x = tf.tensor2d(xs, [n, C]);
    const { y, logDerivative } = layer.elementwise(x);
    const auto = tf.grad((v: tf.Tensor) => tf.sum(layer.elementwise(v).y))(x);
    const yv = y.dataSync();
    const dv = logDerivative.dataSync();
    const av = auto.dataSync();
    let yErr = 0;
    let fdErr = 0;
    let fdExcess = 0;
    let autoErr = 0;
    const w = Math.max(...kn.x.map((row) => Math.max(-row[0]!, row[row.length - 1]!)));
    for (let i = 0; i < n * C; i++) {
      const c = i % C;
      const xv = xs[i]!;
      const ref = referenceForward(bins[c]!, s.tailSlope, xv);
      yErr = Math.max(yErr, Math.abs(yv[i]! - ref) / Math.max(1, Math.abs(ref)));
      // Small step: f is C¹ but not C² at knots, and many points sit on or next to one.
      const h = 1e-7 * Math.max(1, Math.abs(xv));
      const fd = (referenceForward(bins[c]!, s.tailSlope, xv + h) - referenceForward(bins[c]!, s.tailSlope, xv - h)) / (2 * h);
      const mine = Math.exp(dv[i]!);
      // The float32 knots (a cumulative sum of 16 softmax terms, times w) sit up to ~16 ulps of w
      // from the float64 ones, and the float32 ξ carries an ulp of x: f' at a fixed x may move
      // by as much as f' itself varies within that distance (across a knot, too). Allowance:
      // 1e-5 relative plus that variation, taken from the reference.
      const shift = 16 * 2 ** -24 * Math.max(w, Math.abs(xv));
      const d0 = referenceDerivative(bins[c]!, s.tailSlope, xv);
      const variation = Math.max(
        Math.abs(referenceDerivative(bins[c]!, s.tailSlope, xv + shift) - d0),
        Math.abs(d0 - referenceDerivative(bins[c]!, s.tailSlope, xv - shift)),
      );
      const allowed = 1e-5 * fd + variation;
      fdErr = Math.max(fdErr, Math.abs(mine - fd) / fd);
      fdExcess = Math.max(fdExcess, Math.abs(mine - fd) / allowed);
      autoErr = Math.max(autoErr, Math.abs(mine - av[i]!) / mine);
    }
    console.log(
      `[${variant}] vs float64 reference: y rel err ${yErr.toExponential(2)}, f' vs central FD rel err ${fdErr.toExponential(2)} ` +
        `(${fdExcess.toFixed(2)} of the rounding allowance), f' vs autodiff rel err ${autoErr.toExponential(2)}`,
    );
    expect(yErr).toBeLessThan(2e-6);
    expect(fdExcess).toBeLessThanOrEqual(1);
    expect(fdErr).toBeLessThan(1e-3);
    expect(autoErr).toBeLessThan(1e-4);

    // log-det over an image-shaped input = Σ log f' (from autodiff), per example.
    const img = tf.tidy(() => tf.mul(tf.randomNormal([3, 5, 5, C], 0, 1, 'float32', 7), 3));
    const { logdet } = layer.forward(img);
    const d = tf.grad((v: tf.Tensor) => tf.sum(layer.forward(v).y))(img);
    const expected = tf.tidy(() => tf.sum(tf.log(d), [1, 2, 3]));
    expect(logdet.shape).toEqual([3]);
    const lv = logdet.dataSync();
    const ev = expected.dataSync();
    for (let b = 0; b < 3; b++) expect(Math.abs(lv[b]! - ev[b]!)).toBeLessThan(1e-4 * Math.max(1, Math.abs(ev[b]!)));
    tf.dispose([x, y, logDerivative, auto, img, logdet, d, expected]);
    layer.dispose();
  });

  test.each([4, 16])('parameter gradients equal central differences of the float64 reference (%i bins)', (bins) => {
    const layer = makeLayer({ channels: 2, variant, bins });
    randomize(layer, variant === 'paper' ? 31 : 32, TYPICAL);
    const n = 500;
    // Points inside the box and in the moderate tails, none placed on knots: a knot moving
    // across a point is a kink of log f' in θ, where the gradient is one-sided.
    const r = rng(9);
    const xs = Array.from({ length: n * 2 }, (_, i) => f32(i % 5 === 0 ? 8 * r.normal() : (2 * r.uniform() - 1) * 2.5));
    const x = tf.tensor2d(xs, [n, 2]);
    // Loss: Σ sin(f(x)) + Σ log f'(x): exercises both y and the log-det paths.
    const loss = (): tf.Scalar => {
      const { y, logDerivative } = layer.elementwise(x);
      return tf.add(tf.sum(tf.sin(y)), tf.sum(logDerivative)) as tf.Scalar;
    };
    const { grads, value } = tf.variableGrads(loss, layer.variables as tf.Variable[]);
    const params = readParams(layer);
    const s = settings(layer);
    const refLoss = (p: typeof params): number => {
      let total = 0;
      for (let c = 0; c < 2; c++) {
        const bins = referenceBins(p, c, s);
        for (let i = 0; i < n; i++) {
          const xv = xs[i * 2 + c]!;
          total += Math.sin(referenceForward(bins, s.tailSlope, xv)) + Math.log(referenceDerivative(bins, s.tailSlope, xv));
        }
      }
      return total;
    };
    const ref = refLoss(params);
    expect(Math.abs(value.dataSync()[0]! - ref)).toBeLessThan(1e-5 * Math.abs(ref) + 1e-3);
    const keys = ['thetaX', 'thetaY', 'thetaA', 'logW'] as const;
    let worst = 0;
    let checked = 0;
    layer.variables.forEach((v, k) => {
      const g = grads[v.name]!.dataSync();
      for (let flat = 0; flat < v.size; flat++) {
        const eps = 1e-6;
        const perturbed = (delta: number): typeof params => {
          const p = structuredClone(params);
          const key = keys[k]!;
          if (key === 'logW') p.logW[flat] = p.logW[flat]! + delta;
          else {
            const row = Math.floor(flat / v.shape[1]!);
            const col = flat % v.shape[1]!;
            p[key][row]![col] = p[key][row]![col]! + delta;
          }
          return p;
        };
        const fd = (refLoss(perturbed(eps)) - refLoss(perturbed(-eps))) / (2 * eps);
        const err = Math.abs(g[flat]! - fd) / Math.max(1, Math.abs(fd));
        worst = Math.max(worst, err);
        checked += 1;
        // Slopes and knot derivatives (θy, θa) agree to float32 accuracy. Knot positions (θx, log w)
        // are more sensitive: their float32 gradient is that of knots shifted by rounding, and
        // ∂ log f'/∂knot varies like 1/Δx², so the error grows with the number of bins
        // (measured: ~5e-5 with 4 bins, ~1e-3 with 16; ~3e-5 for θy, θa).
        const tolerance = keys[k] === 'thetaY' || keys[k] === 'thetaA' ? 1e-4 : bins <= 4 ? 2e-4 : 3e-3;
        expect(err, `${v.name}[${flat}]: autodiff ${g[flat]} vs FD ${fd}`).toBeLessThan(tolerance);
      }
    });
    console.log(`[${variant}, ${bins} bins] ${checked} parameter gradients vs float64 FD: worst error ${worst.toExponential(2)} (relative, or absolute below 1)`);
    tf.dispose([x, value, ...Object.values(grads)]);
    layer.dispose();
  });

  test('gradients w.r.t. every parameter and the input are finite everywhere, forward and inverse', () => {
    const layer = makeLayer({ channels: C, variant });
    randomize(layer, variant === 'paper' ? 41 : 42, { x: 2, y: 2.5, a: 2.5, logW: 0.5 });
    const k = layer.knots();
    const special = [0, 1e-30, -1e-30, 1e5, -1e5, 1e5 * (1 - 1e-6), 3e5, -3e5, 1e30, -1e30, 1e38, -1e38, 50, -50];
    const rows = Math.max(...k.x.map((r) => r.length)) + special.length;
    const xs: number[] = [];
    for (let i = 0; i < rows; i++) {
      for (let c = 0; c < C; c++) xs.push(i < k.x[c]!.length ? k.x[c]![i]! : special[i - k.x[c]!.length]!);
    }
    const x = tf.tensor2d(xs, [rows, C]);
    const ySpecial = tf.tensor2d(
      xs.map((_, i) => (i < k.y[0]!.length * C ? k.y[i % C]![Math.floor(i / C)]! : xs[i]!)),
      [rows, C],
    );
    const vars = layer.variables as tf.Variable[];
    const { grads } = tf.variableGrads(() => {
      const { y, logdet } = layer.forward(x);
      return tf.addN([tf.sum(tf.tanh(y)), tf.sum(logdet), tf.sum(tf.tanh(layer.inverse(ySpecial).x))]) as tf.Scalar;
    }, vars);
    const dx = tf.grad((v: tf.Tensor) => tf.add(tf.sum(tf.tanh(layer.forward(v).y)), tf.sum(layer.forward(v).logdet)))(x);
    const dy = tf.grad((v: tf.Tensor) => tf.sum(tf.tanh(layer.inverse(v).x)))(ySpecial);
    for (const v of vars) {
      const g = grads[v.name]!.dataSync();
      expect(g.every(Number.isFinite), `${v.name} gradient`).toBe(true);
      expect(g.some((e) => e !== 0), `${v.name} gradient is not identically zero`).toBe(true);
    }
    expect(dx.dataSync().every(Number.isFinite)).toBe(true);
    expect(dy.dataSync().every(Number.isFinite)).toBe(true);
    tf.dispose([x, ySpecial, dx, dy, ...Object.values(grads)]);
    layer.dispose();
  });
});

describe('initialisation', () => {
  test.each([
    ['paper', false, 0.5],
    ['paper', false, 0.8],
    ['paper', false, 1],
    ['strict', false, 0.5],
    ['strict', false, 0.8],
    ['strict', false, 1],
    ['paper', true, 0.8],
    ['strict', true, 1],
  ] as const)('%s (unconstrained: %s), beta %s: linear with slope beta, logdet d·log beta', (variant, unconstrained, beta) => {
    const layer = makeLayer({ channels: 3, variant, unconstrained, beta });
    const slope = layer.initialSlope;
    expect(Math.abs(slope - beta)).toBeLessThanOrEqual(2 ** -20);
    const n = 4000;
    const xs = samplePoints(n, [[-2, 2], [-2, 2], [-2, 2]], 1e5, 13, 2);
    const x = tf.tensor4d(xs, [n / 4, 2, 2, 3]);
    const { y, logdet } = layer.forward(x);
    const yv = y.dataSync();
    let worst = 0;
    for (let i = 0; i < xs.length; i++) worst = Math.max(worst, Math.abs(yv[i]! - slope * xs[i]!) / Math.max(1, Math.abs(xs[i]!)));
    expect(worst).toBeLessThan(5e-7);
    const d = 2 * 2 * 3;
    for (const v of logdet.dataSync()) expect(Math.abs(v - d * Math.log(slope))).toBeLessThan(1e-5);
    expect(Math.abs(layer.maxDerivative() - slope)).toBeLessThan(1e-6);
    tf.dispose([x, y, logdet]);
    layer.dispose();
  });
});

describe('unconstrained (Sec. 6.2 ablation)', () => {
  test('slopes and knot derivatives beyond 1: still a bijection with the exact derivative', () => {
    const layer = makeLayer({ channels: C, variant: 'paper', unconstrained: true });
    randomize(layer, 101, { x: 1, y: 1.5, yMean: 0.5, a: 1.5, aMean: 0.5, logW: 0.3 });
    const n = 5000;
    const xs = samplePoints(n, edgesOf(layer), layer.tailBound, 10, 2);
    const x = tf.tensor2d(xs, [n, C]);
    const { y, logDerivative } = layer.elementwise(x);
    const back = layer.inverse(y).x;
    const e = errors(xs, back.dataSync());
    expect(e.abs).toBeLessThanOrEqual(1e-5);
    expect(e.rel).toBeLessThanOrEqual(1e-5);
    const auto = tf.grad((v: tf.Tensor) => tf.sum(layer.elementwise(v).y))(x);
    const av = auto.dataSync();
    const dv = logDerivative.dataSync();
    for (let i = 0; i < av.length; i++) expect(Math.abs(av[i]! - Math.exp(dv[i]!))).toBeLessThan(1e-4 * Math.exp(dv[i]!));
    const slopes = layer.knots().slope.flat();
    expect(Math.max(...slopes)).toBeGreaterThan(1); // the constraint is really gone
    expect(layer.maxDerivative()).toBeGreaterThan(1);
    tf.dispose([x, y, logDerivative, back, auto]);
    layer.dispose();
  });
});

describe("the paper's claim f' <= 1", () => {
  /** 10⁵ points over 100 channels of random parameters, leaning towards steep bins and flat knots. */
  function sweep(variant: 'paper' | 'strict'): { sampled: number; analytic: number; perChannelOk: boolean } {
    const channels = 100;
    const layer = makeLayer({ channels, variant });
    randomize(layer, variant === 'paper' ? 51 : 52, { x: 1, y: 2, yMean: 1.5, a: 2.5, aMean: -1, logW: 0.3 });
    const n = 1000;
    const r = rng(6);
    const xs = Array.from({ length: n * channels }, (_, i) => (i % 10 === 0 ? 30 * r.normal() : (2 * r.uniform() - 1) * 4));
    const x = tf.tensor2d(xs, [n, channels]);
    const { logDerivative } = layer.elementwise(x);
    const max = tf.tidy(() => tf.max(tf.exp(logDerivative)));
    const perSampled = tf.tidy(() => tf.max(tf.exp(logDerivative), 0));
    const sampled = max.dataSync()[0]!;
    const analytic = layer.maxDerivativePerChannel();
    const ps = perSampled.dataSync();
    // The analytic supremum bounds every sampled value of its channel.
    const perChannelOk = analytic.every((a, c) => ps[c]! <= a * (1 + 1e-5));
    tf.dispose([x, logDerivative, max, perSampled]);
    layer.dispose();
    return { sampled, analytic: Math.max(...analytic), perChannelOk };
  }

  test('paper variant: f\' exceeds 1', () => {
    const { sampled, analytic, perChannelOk } = sweep('paper');
    console.log(`[paper] largest f' sampled on 10⁵ points: ${sampled.toFixed(4)}; analytic supremum (maxDerivative): ${analytic.toFixed(4)}`);
    expect(sampled).toBeGreaterThan(1.2);
    expect(analytic).toBeGreaterThanOrEqual(sampled * (1 - 1e-5));
    expect(perChannelOk).toBe(true);
  });

  test('strict variant: f\' never exceeds 1', () => {
    const { sampled, analytic, perChannelOk } = sweep('strict');
    console.log(`[strict] largest f' sampled on 10⁵ points: ${sampled.toFixed(6)}; analytic supremum: ${analytic.toFixed(6)}`);
    expect(sampled).toBeLessThanOrEqual(1 + 1e-6);
    expect(analytic).toBeLessThanOrEqual(1 + 1e-6);
    expect(perChannelOk).toBe(true);
    // Not vacuous: the sweep reaches steep parts (close to the bound).
    expect(sampled).toBeGreaterThan(0.9);
  });

  test('maxDerivative matches a dense evaluation of the float32 layer', () => {
    const layer = makeLayer({ channels: 1, variant: 'paper' });
    randomize(layer, 61, { x: 1, y: 2, yMean: 1.5, a: 2.5, aMean: -1, logW: 0.3 });
    const k = layer.knots();
    const lo = k.x[0]![0]!;
    const hi = k.x[0]![k.x[0]!.length - 1]!;
    const n = 200_000;
    const x = tf.tidy(() => tf.reshape(tf.linspace(lo, hi, n), [n, 1]));
    const dense = tf.tidy(() => tf.max(tf.exp(layer.elementwise(x).logDerivative)));
    const value = dense.dataSync()[0]!;
    const analytic = layer.maxDerivative();
    expect(analytic).toBeGreaterThanOrEqual(value * (1 - 1e-5));
    expect(analytic - value).toBeLessThan(1e-3 * analytic);
    tf.dispose([x, dense]);
    layer.dispose();
  });
});

describe('bookkeeping', () => {
  test('variables: unique names prefixed by the descriptor, per-channel shapes; duplicate names rejected', () => {
    const layer = makeLayer({ channels: 3, bins: 8 });
    const names = layer.variables.map((v) => v.name);
    expect(new Set(names).size).toBe(4);
    for (const name of names) expect(name.startsWith(`${layer.descriptor.name}/`)).toBe(true);
    expect(layer.variables.map((v) => v.shape)).toEqual([[3, 8], [3, 8], [3, 9], [3]]);
    expect(() => new RQActivation({ descriptor: layer.descriptor, channels: 3, bins: 8, variant: 'paper', tailBound: 1e5, beta: 0.8 })).toThrow(/already exists/);
    const named = makeLayer({ channels: 1, name: 'custom-prefix' });
    expect(named.variables[0]!.name).toBe('custom-prefix/theta_x');
    named.dispose();
    layer.dispose();
  });

  test('rejects wrong channel counts and invalid options', () => {
    const layer = makeLayer({ channels: 3 });
    const bad = tf.zeros([2, 4]);
    expect(() => layer.forward(bad)).toThrow(/expects/);
    expect(() => layer.inverse(bad).x).toThrow(/expects/);
    bad.dispose();
    layer.dispose();
    expect(() => makeLayer({ channels: 1, beta: 1.5 })).toThrow(/beta/);
    expect(() => makeLayer({ channels: 1, beta: 0 })).toThrow(/beta/);
    expect(() => makeLayer({ channels: 1, tailBound: 5 })).toThrow(/tailBound/);
  });

  test('tensor count unchanged after repeated forward, inverse, gradients and diagnostics', () => {
    const layer = makeLayer({ channels: C, variant: 'strict' });
    randomize(layer, 71, TYPICAL);
    const x = tf.tidy(() => tf.mul(tf.randomNormal([8, 3, 3, C], 0, 1, 'float32', 1), 4));
    const once = (): void => {
      const { y, logdet } = layer.forward(x);
      const back = layer.inverse(y);
      const { grads, value } = tf.variableGrads(() => tf.sum(layer.forward(x).logdet) as tf.Scalar, layer.variables as tf.Variable[]);
      const dx = tf.grad((v: tf.Tensor) => tf.sum(layer.inverse(v).x))(y);
      layer.maxDerivative();
      layer.knots();
      tf.dispose([y, logdet, back.x, back.logdet, value, dx, ...Object.values(grads)]);
    };
    once();
    const before = tf.memory().numTensors;
    for (let i = 0; i < 5; i++) once();
    expect(tf.memory().numTensors).toBe(before);
    x.dispose();
    const beforeDispose = tf.memory().numTensors;
    layer.dispose();
    expect(tf.memory().numTensors).toBe(beforeDispose - 4);
  });
});
