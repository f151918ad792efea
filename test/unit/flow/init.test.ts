/** Mexican-hat scale (Eq. 15) and the blockwise volume-preserving initialisation (Eq. 18). */
import { describe, expect, it } from 'vitest';
import { PRESETS } from '../../../src-shared/presets';
import { initBackend } from '../../../src-main/engine/backend';
import { LOG_SCALE_CAP_DEFAULT, blockInitialization } from '../../../src-main/engine/flow/init';
import type { InvertibleConv } from '../../../src-main/engine/flow/layers/invConv';
import { createFlowModel } from '../../../src-main/engine/flow/model';
import type { Bijection } from '../../../src-main/engine/flow/types';
import { tf } from '../../../src-main/engine/tf';
import {
  LOG_SCALE_MAX,
  LOG_SCALE_MIN,
  mexicanHat,
  mexicanHatBiases,
  mexicanHatReachable,
} from '../../../src-main/engine/flow/mexicanHat';

describe('Mexican-hat log-scale', () => {
  it('is bounded by [−2e^{−3/2}, 1] with both ends attained', () => {
    let lo = Infinity;
    let hi = -Infinity;
    for (let p = -20; p <= 20; p += 1e-3) {
      lo = Math.min(lo, mexicanHat(p));
      hi = Math.max(hi, mexicanHat(p));
    }
    expect(LOG_SCALE_MIN).toBeCloseTo(-0.44626032, 7);
    expect(lo).toBeGreaterThanOrEqual(LOG_SCALE_MIN);
    expect(lo - LOG_SCALE_MIN).toBeLessThan(1e-6);
    expect(hi).toBe(LOG_SCALE_MAX);
    // The paper's "s in (0.5, 3)".
    expect(Math.exp(LOG_SCALE_MIN)).toBeGreaterThan(0.5);
    expect(Math.exp(LOG_SCALE_MAX)).toBeLessThan(3);
  });

  it('biases hit the target mean with distinct values inside (0, √3)', () => {
    for (const m of [1, 2, 4, 16, 64]) {
      const [lo, hi] = mexicanHatReachable(m);
      for (const target of [lo + 1e-6, -0.2, 0, 0.1116, 0.5, hi - 1e-6]) {
        const b = mexicanHatBiases(target, m);
        expect(b).toHaveLength(m);
        const mean = b.reduce((s, v) => s + mexicanHat(v), 0) / m;
        expect(Math.abs(mean - target)).toBeLessThan(1e-12);
        expect(new Set(b).size).toBe(m);
        for (const v of b) {
          expect(v).toBeGreaterThanOrEqual(0);
          expect(v).toBeLessThanOrEqual(Math.sqrt(3) + 1e-12);
        }
      }
    }
  });

  it('refuses an unreachable target, saying what is reachable', () => {
    expect(() => mexicanHatBiases(1.2, 4)).toThrow(/reaches log s in \[-0\.\d+, 0\.\d+\]; the initialisation asked for 1\.2/);
    expect(() => mexicanHatBiases(-0.45, 4)).toThrow(/asked for -0\.45/);
    expect(() => mexicanHatBiases(0, 0)).toThrow(/mixtures must be a positive integer/);
  });
});

describe('blockwise volume-preserving initialisation', () => {
  it('κ·s = 1/β for every β in (0, 1], with biases that give the scale', () => {
    for (const beta of [1e-6, 0.01, 0.1, 0.3, 0.5, 0.8, 0.95, 1]) {
      for (const m of [1, 4, 64]) {
        const init = blockInitialization(beta, m);
        expect(Math.log(init.kappa) + init.logScale + Math.log(beta)).toBeCloseTo(0, 12);
        const mean = init.mexicanHatBiases.reduce((s, v) => s + mexicanHat(v), 0) / m;
        expect(mean).toBeCloseTo(init.logScale, 12);
      }
    }
    expect(blockInitialization(1, 4)).toMatchObject({ kappa: 1, logScale: 0 });
  });

  it('read from built layers: conv and coupling both expand (κ, s ≥ 1), κ·s·slope = 1, s inside the cap, every b_m has gradient', async () => {
    await initBackend('cpu');
    const base = PRESETS['fashion-mnist-small'].model;
    for (const beta of [0.01, 0.2, 0.5, 0.8, 1]) {
      const config = { ...base, inputShape: [4, 4, 1], levels: 1, blocksPerLevel: 1, beta, coupling: { network: 'convnet' as const, hidden: 4, mixtures: 4 } };
      const model = createFlowModel(config, { seed: 2 });
      const [conv, aff, act] = model.bijections as [InvertibleConv, Bijection, Bijection & { initialSlope: number }];
      // κ: the conv's weight is κ·I.
      const w = conv.weight64();
      const kappa = w[0]!;
      for (let i = 0; i < 4; i++) for (let j = 0; j < 4; j++) expect(Math.abs(w[i * 4 + j]! - (i === j ? kappa : 0))).toBeLessThan(1e-6 * kappa);
      // s: what the coupling does to an input, y = s·x (t = 0).
      const x = tf.randomNormal([3, 2, 2, 4], 0, 1, 'float32', 5);
      const ratio = tf.div(aff.forward(x).y, x).dataSync();
      const s = ratio[0]!;
      for (const v of ratio) expect(Math.abs(v - s)).toBeLessThan(1e-5 * s);
      expect(Math.abs(Math.log(kappa) + Math.log(s) + Math.log(act.initialSlope))).toBeLessThan(1e-5);
      expect(kappa).toBeGreaterThanOrEqual(1 - 1e-6);
      expect(s).toBeGreaterThanOrEqual(1 - 1e-6);
      expect(Math.log(s)).toBeLessThanOrEqual(LOG_SCALE_CAP_DEFAULT + 1e-6);
      // g'(b) = φ(φ² − 3)·exp(−φ²/2): the gradient w_m receives; zero would freeze component m.
      const bias = model.variables[model.parameterNames.indexOf('L1.B1.aff/s1t1.out.b')]!.dataSync().slice(0, 4 * 2);
      for (const b of bias) expect(Math.abs(b * (b * b - 3) * Math.exp((-b * b) / 2))).toBeGreaterThan(0.01);
      model.dispose();
    }
  });

  it('rejects β outside (0, 1]', () => {
    for (const beta of [0, -0.5, 1.01, Number.NaN]) expect(() => blockInitialization(beta, 4)).toThrow(/beta must be in \(0, 1\]/);
  });
});
