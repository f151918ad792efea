/**
 * Units: dequantisation into the model range and exact bits/dim. A real flow that is the
 * identity (β = 1 at initialisation) on uniform data must give the analytic bpd.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PRESETS } from '../../../src-shared/config';
import { initBackend } from '../../../src-main/engine/backend';
import { type MultiScaleFlow, createFlowModel } from '../../../src-main/engine/flow/model';
import {
  INPUT_LOW,
  bitsPerDim,
  dequantize,
  dequantizedNll,
  identityUniformBpd,
  nllToBpd,
  quantize,
} from '../../../src-main/engine/flow/units';
import { tf } from '../../../src-main/engine/tf';

const models: MultiScaleFlow[] = [];
beforeAll(async () => {
  await initBackend('cpu');
});
afterAll(() => models.forEach((m) => m.dispose()));

describe('units', () => {
  it('dequantises n-bit integers into [−½, ½) with seeded noise, and quantize undoes it', () => {
    const bits = 5;
    const k = Array.from({ length: 4 * 6 }, (_, i) => (i * 7) % 32);
    const x = dequantize(k, [4, 6], bits, 42);
    const values = x.dataSync();
    values.forEach((v, i) => {
      // x = (k + u)/2ⁿ − ½ with u ∈ [0, 1).
      const u = (v - INPUT_LOW) * 32 - k[i]!;
      expect(u).toBeGreaterThanOrEqual(-1e-5);
      expect(u).toBeLessThan(1 + 1e-5);
    });
    expect(Math.min(...values)).toBeGreaterThanOrEqual(-0.5);
    expect(Math.max(...values)).toBeLessThan(0.5);
    expect(Array.from(dequantize(k, [4, 6], bits, 42).dataSync())).toEqual(Array.from(values));
    expect(Array.from(dequantize(k, [4, 6], bits, 43).dataSync())).not.toEqual(Array.from(values));
    expect(Array.from(quantize(x, bits).dataSync())).toEqual(k);
  });

  it('names bad pixels and bad arguments', () => {
    expect(() => dequantize([0, 256], [2], 8, 0)).toThrow(/value 256 at index 1 is not a 8-bit integer \(0 … 255\)/);
    expect(() => dequantize([0, 1.5], [2], 8, 0)).toThrow(/value 1\.5 at index 1/);
    expect(() => dequantize([0, 1, 2], [2], 8, 0)).toThrow(/needs 2 values, got 3/);
    expect(() => dequantize([0], [1], 0, 0)).toThrow(/bits must be an integer in \[1, 16\]/);
    expect(() => bitsPerDim(tf.zeros([1]), 0, 8)).toThrow(/dims must be a positive integer/);
  });

  it('bpd = (−log p_model(x) + d·n·ln 2)/(d·ln 2)', () => {
    const lp = tf.tensor1d([-1000, -2500.5]);
    const nll = dequantizedNll(lp, 784, 8).dataSync();
    const bpd = bitsPerDim(lp, 784, 8).dataSync();
    [-1000, -2500.5].forEach((v, i) => {
      expect(nll[i]).toBeCloseTo(-v + 784 * 8 * Math.LN2, 2);
      expect(bpd[i]).toBeCloseTo((-v + 784 * 8 * Math.LN2) / (784 * Math.LN2), 5);
    });
    expect(nllToBpd(784 * Math.LN2 * 3, 784)).toBeCloseTo(3, 12);
  });

  it('an identity flow on uniform data gives the analytic bpd (½ln 2π + 1/24)/ln 2 + n', () => {
    // β = 1: every block of a freshly initialised model is exactly the identity (κ = s = 1,
    // t = 0, activation slope 1), up to the squeezes, which do not change the density.
    const config = { ...PRESETS['fashion-mnist-small'].model, inputShape: [8, 8, 1], beta: 1, coupling: { network: 'convnet' as const, hidden: 8, mixtures: 4 } };
    const m = createFlowModel(config, { seed: 1 });
    models.push(m);
    const n = 256;
    const bits = 8;
    const pixels = Array.from({ length: n * 64 }, (_, i) => (Math.imul(i + 1, 2654435761) >>> 0) % 256);
    const x = dequantize(pixels, [n, 8, 8, 1], bits, 9);
    const lp = m.logProb(x);
    const bpd = Array.from(bitsPerDim(lp, 64, bits).dataSync());

    // The mean against the exact expectation, within 4 standard errors of the sample.
    const mean = bpd.reduce((s, v) => s + v, 0) / n;
    const sd = Math.sqrt(bpd.reduce((s, v) => s + (v - mean) ** 2, 0) / (n - 1));
    const target = identityUniformBpd(bits);
    expect(target).toBeCloseTo((0.5 * Math.log(2 * Math.PI) + 1 / 24) / Math.LN2 + 8, 12);
    expect(Math.abs(mean - target)).toBeLessThan(4 * (sd / Math.sqrt(n)));
    expect(sd).toBeGreaterThan(0);
  });

  it('per image, bits/dim is −log2 of the probability the identity flow gives its n-bit values, over d', () => {
    // Independent of units.ts: the discrete probability of pixel value k is the standard-normal
    // mass of its bin [k/2ⁿ − ½, (k+1)/2ⁿ − ½) (Simpson's rule; the bin is 1/256 wide), so the
    // 2ⁿ scaling and the + n of the formula are nowhere written here. At the bin centre the
    // dequantised density differs from the bin's mean density by O(width²) ≈ 1e-6 nats.
    const config = { ...PRESETS['fashion-mnist-small'].model, inputShape: [8, 8, 1], beta: 1, coupling: { network: 'convnet' as const, hidden: 8, mixtures: 4 } };
    const m = createFlowModel(config, { seed: 1 });
    models.push(m);
    const n = 16;
    const bits = 8;
    const levels = 2 ** bits;
    const pixels = Array.from({ length: n * 64 }, (_, i) => (Math.imul(i + 7, 2246822519) >>> 0) % levels);
    const centres = tf.tensor4d(pixels.map((k) => (k + 0.5) / levels - 0.5), [n, 8, 8, 1]);
    const bpd = Array.from(bitsPerDim(m.logProb(centres), 64, bits).dataSync());
    const density = (t: number): number => Math.exp(-0.5 * t * t) / Math.sqrt(2 * Math.PI);
    const binMass = (k: number): number => {
      const a = k / levels - 0.5;
      const b = (k + 1) / levels - 0.5;
      return ((b - a) / 6) * (density(a) + 4 * density((a + b) / 2) + density(b));
    };
    for (let i = 0; i < n; i++) {
      let bitsTotal = 0;
      for (let j = 0; j < 64; j++) bitsTotal -= Math.log2(binMass(pixels[i * 64 + j]!));
      expect(Math.abs(bpd[i]! - bitsTotal / 64)).toBeLessThan(2e-5);
    }
  });
});
