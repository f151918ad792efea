/**
 * The mathematics behind the activation's variants, in float64 (docs/activation.md):
 *  - the paper's claim (slopes and knot derivatives in (0, 1) ⇒ f' ≤ 1) is false: counterexample;
 *  - claim A: α0, α1 ∈ [δ, 1] ⇒ f' ≤ max(α0, α1) on the bin (proved in the docs; checked here);
 *  - claim B (used by the strict variant): δ ≤ 1, α0, α1 ∈ [h(δ), 1], h(δ) = δ(1+δ)/2 ⇒ f' ≤ 1;
 *  - binMaxDerivative is the exact supremum (against a dense grid refined by golden section).
 */
import { describe, expect, test } from 'vitest';
import { initBackend } from '../../../src-main/engine/backend';
import { RQActivation } from '../../../src-main/engine/flow/layers/rqActivation';
import { tf } from '../../../src-main/engine/tf';
import {
  MAX_CONSTRAINED_SLOPE,
  binDerivative,
  binMaxDerivative,
  inverseSoftplus,
  logit,
  strictKnotFloor,
} from '../../../src-main/engine/flow/layers/rqMath';
import { rng } from './rqHelpers';

/** Independent maximiser: 2001-point grid, then golden-section search around the best point. */
function denseMax(delta: number, a0: number, a1: number): number {
  const f = (xi: number): number => {
    const t = xi * (1 - xi);
    const num = delta * delta * (a1 * xi * xi + 2 * delta * t + a0 * (1 - xi) * (1 - xi));
    const den = delta + (a0 + a1 - 2 * delta) * t;
    return num / (den * den);
  };
  const n = 2000;
  let best = 0;
  for (let i = 1; i <= n; i++) if (f(i / n) > f(best / n)) best = i;
  let lo = Math.max(0, (best - 1) / n);
  let hi = Math.min(1, (best + 1) / n);
  const g = (Math.sqrt(5) - 1) / 2;
  for (let it = 0; it < 100; it++) {
    const m1 = hi - g * (hi - lo);
    const m2 = lo + g * (hi - lo);
    if (f(m1) < f(m2)) lo = m1;
    else hi = m2;
  }
  return Math.max(f(0), f(1), f(best / n), f((lo + hi) / 2));
}

describe('binMaxDerivative', () => {
  test('equals a dense grid refined by golden section, and bounds it from above', () => {
    const r = rng(1);
    let worst = 0;
    for (let k = 0; k < 3000; k++) {
      // Wide ranges on a log scale, including the unconstrained regime (values above 1).
      const delta = Math.exp(4 * r.normal() * 0.5);
      const a0 = Math.exp(4 * r.normal() * 0.5);
      const a1 = Math.exp(4 * r.normal() * 0.5);
      const exact = binMaxDerivative(delta, a0, a1);
      const dense = denseMax(delta, a0, a1);
      expect(exact.value).toBeGreaterThanOrEqual(dense * (1 - 1e-12));
      worst = Math.max(worst, Math.abs(exact.value - dense) / dense);
      expect(binDerivative(delta, a0, a1, exact.xi)).toBe(exact.value);
    }
    expect(worst).toBeLessThan(1e-9);
  });

  test('linear bin (α0 = α1 = δ): the supremum is δ', () => {
    for (const d of [0.1, 0.5, 0.8, 1 - 2 ** -20]) expect(binMaxDerivative(d, d, d).value).toBeCloseTo(d, 14);
  });
});

describe("the paper's claim: δ, α ∈ (0, 1) ⇒ f' ≤ 1", () => {
  test('is false: equal knot derivatives α give f\'(½) = 2δ²/(δ + α), up to 2', () => {
    // δ = 0.9, α = 0.01 (both inside (0, 1)): f'(½) = 2·0.81/0.91 ≈ 1.780.
    expect(binDerivative(0.9, 0.01, 0.01, 0.5)).toBeCloseTo((2 * 0.81) / 0.91, 12);
    expect(binMaxDerivative(0.9, 0.01, 0.01).value).toBeCloseTo(1.78021978, 6);
    expect(binMaxDerivative(0.9, 0.01, 0.01).xi).toBeCloseTo(0.5, 9);
    // As δ → 1 and α → 0 the supremum tends to 2.
    expect(binMaxDerivative(0.9999, 1e-6, 1e-6).value).toBeGreaterThan(1.9997);
    // Unequal end derivatives also exceed 1: δ = 0.999, α0 = 1e-4, α1 = 0.999.
    expect(binMaxDerivative(0.999, 1e-4, 0.999).value).toBeGreaterThan(1.46);
    // Sweep: over all (δ, α0, α1) ∈ (0, 1)³ the supremum never reaches 2 (2δ²/(δ+α) < 2δ < 2).
    const r = rng(2);
    let largest = 0;
    for (let k = 0; k < 100_000; k++) {
      largest = Math.max(largest, binMaxDerivative(r.uniform(), r.uniform() ** 3, r.uniform() ** 3).value);
    }
    expect(largest).toBeGreaterThan(1.5);
    expect(largest).toBeLessThan(2);
  });
});

describe('claim A: α0, α1 ∈ [δ, 1] ⇒ f\' ≤ max(α0, α1)', () => {
  test('holds on 10⁵ random bins, boundary values included', () => {
    const r = rng(3);
    let excess = -Infinity;
    for (let k = 0; k < 100_000; k++) {
      const delta = k % 10 === 0 ? 1 : r.uniform();
      // Pull end derivatives towards the boundary α = δ (where the bound is tightest).
      const pick = (): number => (k % 3 === 0 ? delta : delta + (1 - delta) * r.uniform() ** 4);
      const a0 = pick();
      const a1 = k % 7 === 0 ? 1 : pick();
      excess = Math.max(excess, binMaxDerivative(delta, a0, a1).value - Math.max(a0, a1));
    }
    expect(excess).toBeLessThanOrEqual(1e-14);
  });

  test('the condition matters: one end derivative below δ can push f\' above both α and 1', () => {
    // δ = 0.95, α0 = 1, α1 = 0.3 < δ: the hump exceeds max(α0, α1) = 1.
    const v = binMaxDerivative(0.95, 1, 0.3).value;
    expect(v).toBeGreaterThan(1);
  });
});

describe('claim B (strict variant): δ ≤ 1 and α0, α1 ∈ [h(δ), 1] ⇒ f\' ≤ 1', () => {
  test('h(δ) = δ(1+δ)/2 lies below δ, so the linear map α = δ = β is strictly inside for β < 1', () => {
    for (const d of [0.01, 0.5, 0.8, 0.99]) {
      expect(strictKnotFloor(d)).toBeLessThan(d);
      expect(strictKnotFloor(d)).toBeGreaterThan(0);
    }
    expect(strictKnotFloor(1)).toBe(1);
  });

  test('holds on 2·10⁵ random bins, concentrated on the boundary of the constraint set', () => {
    const r = rng(4);
    let largest = 0;
    for (let k = 0; k < 200_000; k++) {
      const delta = k % 10 === 0 ? 1 - r.uniform() ** 6 : r.uniform();
      const h = strictKnotFloor(delta);
      const pick = (): number => {
        const u = r.uniform();
        return u < 0.3 ? h : u < 0.5 ? 1 : h + (1 - h) * r.uniform() ** 3;
      };
      largest = Math.max(largest, binMaxDerivative(delta, pick(), pick()).value);
    }
    expect(largest).toBeLessThanOrEqual(1 + 1e-14);
    // Not vacuous: the sweep gets close to the bound.
    expect(largest).toBeGreaterThan(0.999);
  });

  test('h cannot be lowered at δ → 1: there every α < 1 gives f\'(½) = 2δ²/(δ + α) > 1', () => {
    const delta = 0.999;
    const alpha = strictKnotFloor(delta) - 0.01; // just below the floor
    expect(binDerivative(delta, alpha, alpha, 0.5)).toBeGreaterThan(1);
  });
});

describe('initial values', () => {
  test('logit and inverse softplus invert sigmoid and softplus', () => {
    for (const p of [1e-6, 0.2, 0.5, 0.8, MAX_CONSTRAINED_SLOPE]) expect(1 / (1 + Math.exp(-logit(p)))).toBeCloseTo(p, 12);
    for (const v of [1e-4, 0.5, 1, 3, 40]) expect(Math.log1p(Math.exp(inverseSoftplus(v)))).toBeCloseTo(v, 10);
  });

  test('the strict layer starts linear: every knot derivative and slope read from it is β, θa = log(β/2)', async () => {
    await initBackend('cpu');
    for (const beta of [0.3, 0.5, 0.8, 1]) {
      const layer = new RQActivation({ descriptor: { name: 'L1.B1.act', level: 0, block: 0, kind: 'act' }, channels: 3, bins: 16, variant: 'strict', tailBound: 1e5, beta, name: `rqmath-init-${beta}` });
      const slope = layer.initialSlope;
      const k = layer.knots();
      for (const row of [...k.alpha, ...k.slope]) for (const v of row) expect(Math.abs(v - slope)).toBeLessThan(2e-7);
      // The documented closed form of the floor map's initial value, σ(θa) = β/(2 + β).
      const thetaA = layer.variables.find((v) => v.name.endsWith('/theta_a'))!.dataSync();
      for (const v of thetaA) expect(v).toBeCloseTo(Math.log(slope / 2), 5);
      // And the map itself is the line βx, far into the tails.
      const x = tf.tensor2d([-3e4, -1.5, 0, 0.7, 2.5, 9e4], [2, 3]);
      const y = layer.forward(x).y.dataSync();
      x.dataSync().forEach((v, i) => expect(Math.abs(y[i]! - slope * v)).toBeLessThan(5e-7 * Math.max(1, Math.abs(v))));
      layer.dispose();
    }
  });
});
