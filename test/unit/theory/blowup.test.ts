/** The log-det blow-up detector on synthetic histories, scanned step by step as training would. */
import { describe, expect, it } from 'vitest';
import { type BlowupWarning, type LogdetHistoryPoint, detectLogdetBlowup } from '../../../src-main/engine/theory/blowup';
import { gaussian, rng } from './helpers/reference64';

const LAYERS = ['L1.B1.conv', 'L1.B1.aff', 'L1.B1.act', 'L1.B2.conv', 'L2.B1.conv', 'L2.B1.aff'];

/** Saturating log-det curves A_l(1 − e^{−t/τ}) with noise, NLL decreasing to a plateau. */
function healthy(steps: number, seed: number, extra?: (layer: number, t: number) => number): LogdetHistoryPoint[] {
  const noise = gaussian(rng(seed));
  const out: LogdetHistoryPoint[] = [];
  for (let t = 0; t <= steps; t += 20) {
    const layerLogdet = LAYERS.map((_, l) => (50 + 30 * l) * (1 - Math.exp(-t / 300)) + 0.3 * noise() + (extra?.(l, t) ?? 0));
    out.push({ step: t, layerLogdet, trainBpd: 3.4 + 2 * Math.exp(-t / 400) + 0.01 * noise() });
  }
  return out;
}

/** Runs the detector on every prefix; returns the first warning. */
function firstWarning(history: LogdetHistoryPoint[], dims?: number): BlowupWarning | null {
  for (let i = 1; i <= history.length; i++) {
    const warning = detectLogdetBlowup(history.slice(0, i), LAYERS, dims === undefined ? {} : { dims });
    if (warning) return warning;
  }
  return null;
}

describe('detectLogdetBlowup', () => {
  it('stays quiet on healthy (saturating, noisy) histories', () => {
    for (const seed of [1, 2, 3]) expect(firstWarning(healthy(3000, seed), 784)).toBeNull();
  });

  it('stays quiet on steady linear growth (Fig. 2 style) while the NLL improves', () => {
    const history = healthy(3000, 4, (l, t) => 0.01 * (l + 1) * t);
    expect(firstWarning(history)).toBeNull();
  });

  it('names the one exploding layer, before it overflows', () => {
    // Layer 3 (L1.B2.conv) picks up an exponential from step 1500 on.
    const history = healthy(3000, 5, (l, t) => (l === 3 ? Math.expm1(Math.max(0, t - 1500) / 200) : 0));
    const warning = firstWarning(history);
    expect(warning).not.toBeNull();
    expect(warning!.kind).toBe('accelerating');
    expect(warning!.layers).toEqual(['L1.B2.conv']);
    expect(warning!.message).toContain('L1.B2.conv');
    // Flagged while the excess is still small compared with where it is heading (e^7.5 at 3000).
    expect(warning!.step).toBeGreaterThan(1500);
    expect(warning!.step).toBeLessThan(2400);
  });

  it('reports non-finite log-dets by layer', () => {
    const history = healthy(400, 6);
    history[history.length - 1]!.layerLogdet = LAYERS.map((_, l) => (l === 1 ? Number.NaN : l === 4 ? Infinity : 10));
    const warning = detectLogdetBlowup(history, LAYERS);
    expect(warning?.kind).toBe('non-finite');
    expect(warning?.layers).toEqual(['L1.B1.aff', 'L2.B1.conv']);
  });

  it('flags the summed log-det rising while the NLL stalls, not while it improves as much', () => {
    const dims = 784;
    const noise = gaussian(rng(7));
    const stalled: LogdetHistoryPoint[] = [];
    const improving: LogdetHistoryPoint[] = [];
    for (let t = 0; t <= 2000; t += 20) {
      // Each layer gains 0.3 nats per step: 6 × 0.3 × 780 steps / (784 ln 2) ≈ 2.6 bits/dim per window.
      const layerLogdet = LAYERS.map((_, l) => 100 + 10 * l + 0.3 * t + noise());
      stalled.push({ step: t, layerLogdet, trainBpd: 3.5 + 0.005 * noise() });
      improving.push({ step: t, layerLogdet, trainBpd: 9 - (6 * 0.3 * t) / (dims * Math.LN2) });
    }
    const warning = detectLogdetBlowup(stalled, LAYERS, { dims });
    expect(warning?.kind).toBe('sum-diverging');
    expect(warning?.message).toMatch(/summed log-det rose by 2\.\d+ bits\/dim/);
    expect(detectLogdetBlowup(improving, LAYERS, { dims })).toBeNull();
    // Without dims the check cannot convert units and stays off.
    expect(detectLogdetBlowup(stalled, LAYERS)).toBeNull();
  });

  it('rejects records whose layer count does not match', () => {
    expect(() => detectLogdetBlowup([{ step: 0, layerLogdet: [1, 2] }], LAYERS)).toThrow(/2 layer log-dets, expected 6/);
  });
});
