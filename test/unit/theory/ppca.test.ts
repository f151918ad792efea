/**
 * The PPCA / linear-flow optimum: the continuous core against the closed form for Gaussian
 * data, the discretisation (dequantisation variance 1/12) on integer data whose moments are
 * known exactly, the exact tensor Gram against float64, and the stationary bound.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../../src-main/engine/backend';
import { arraySource, computeBounds, streamMoments } from '../../../src-main/engine/theory/bounds';
import { gaussianCrossEntropy } from '../../../src-main/engine/theory/heldOut';
import { MomentAccumulator } from '../../../src-main/engine/theory/moments';
import { ppcaFromCovariance } from '../../../src-main/engine/theory/ppca';
import { gaussian, inverseAndLogAbsDet, rng, symmetricEigenvalues } from './helpers/reference64';

beforeAll(async () => {
  await initBackend('cpu');
});

const LOG2PIE = Math.log(2 * Math.PI) + 1;

describe('continuous core', () => {
  it('gives ½(d log 2πe + log det Σ)/(d ln 2) for Gaussian data', () => {
    const d = 5;
    const n = 20000;
    const normal = gaussian(rng(42));
    // x = A g + m with a fixed A: Σ = A Aᵀ.
    const a = [2, 0, 0, 0, 0, 1, 0.5, 0, 0, 0, -0.3, 0.2, 1.5, 0, 0, 0.1, 0.1, 0.1, 0.3, 0, 0.7, -0.7, 0, 0.2, 0.9];
    const m = [10, -3, 0, 5, 1];
    const data = new Float64Array(n * d);
    for (let e = 0; e < n; e++) {
      const g = Array.from({ length: d }, normal);
      for (let i = 0; i < d; i++) {
        let s = m[i]!;
        for (let k = 0; k < d; k++) s += a[i * d + k]! * g[k]!;
        data[e * d + i] = s;
      }
    }
    const moments = new MomentAccumulator(d, 'host', Float64Array.from(data.subarray(0, d)));
    moments.addFloats(data, n);
    const result = ppcaFromCovariance(moments.covariance(), d, 0);

    // Independent: the sample covariance computed directly, its eigenvalues by Jacobi.
    const mean = new Float64Array(d);
    for (let e = 0; e < n; e++) for (let i = 0; i < d; i++) mean[i]! += data[e * d + i]! / n;
    const cov = new Float64Array(d * d);
    for (let e = 0; e < n; e++) {
      for (let i = 0; i < d; i++) for (let j = 0; j < d; j++) cov[i * d + j]! += ((data[e * d + i]! - mean[i]!) * (data[e * d + j]! - mean[j]!)) / n;
    }
    const sampleLogdet = symmetricEigenvalues(cov, d).reduce((s, l) => s + Math.log(l), 0);
    expect(result.logdetCov).toBeCloseTo(sampleLogdet, 9);
    expect(result.bpd).toBeCloseTo((0.5 * (d * LOG2PIE + sampleLogdet)) / (d * Math.LN2), 10);

    // Against the true Σ = AAᵀ (det A = product of the triangular part's diagonal... A is not
    // triangular: compute det via eigenvalues of AAᵀ): within the sampling error of log det Σ̂,
    // whose standard deviation is about √(2d/n) = 0.022 nats.
    const aat = new Float64Array(d * d);
    for (let i = 0; i < d; i++) for (let j = 0; j < d; j++) for (let k = 0; k < d; k++) aat[i * d + j]! += a[i * d + k]! * a[j * d + k]!;
    const trueLogdet = symmetricEigenvalues(aat, d).reduce((s, l) => s + Math.log(l), 0);
    expect(Math.abs(result.logdetCov - trueLogdet)).toBeLessThan(0.1);
  });

  it('reports a singular covariance of continuous data by dimension', () => {
    const moments = new MomentAccumulator(3, 'host');
    moments.addFloats([1, 7, 2, 3, 7, 1, 0, 7, 5, 2, 7, 2], 4);
    expect(() => ppcaFromCovariance(moments.covariance(), 3, 0)).toThrow(/singular at dimension 1/);
    // Dequantised integer data never is: the noise adds 1/12 to every eigenvalue.
    expect(Number.isFinite(ppcaFromCovariance(moments.covariance(), 3, 1 / 12).bpd)).toBe(true);
  });
});

describe('discretisation', () => {
  it('uniform n-bit data: the Gaussian optimum is n + ½ log₂(2πe/12) bpd', async () => {
    // Every point of the 3-bit grid {0..7}² once: Cov(k) = (64 − 1)/12 I, plus 1/12 → 64/12 I.
    const data = new Uint8Array(128);
    for (let i = 0; i < 64; i++) {
      data[2 * i] = i % 8;
      data[2 * i + 1] = Math.floor(i / 8);
    }
    const result = await computeBounds(arraySource(data, [1, 2, 1], 3, 10));
    const expected = 3 + 0.5 * Math.log2((2 * Math.PI * Math.E) / 12);
    expect(result.ppcaMethod).toBe('exact');
    expect(result.ppcaBpd).toBeCloseTo(expected, 12);
    // The covariance is circulant, so the stationary bound is exact here.
    expect(result.stationaryPpcaBpd).toBeCloseTo(expected, 12);
    expect(result.count).toBe(64);
  });

  it('a correlated 2-bit set matches the hand-computed determinant', async () => {
    // Points (0,0), (1,1), (2,2), (3,3): Var = Cov = 1.25; with the noise
    // det Σ̃ = (1.25 + 1/12)² − 1.25² = (1/12)(2.5 + 1/12).
    const data = Uint8Array.from([0, 0, 1, 1, 2, 2, 3, 3]);
    const result = await computeBounds(arraySource(data, [1, 2, 1], 2));
    const logdet = Math.log((1 / 12) * (2.5 + 1 / 12));
    expect(result.ppcaBpd).toBeCloseTo((0.5 * (2 * LOG2PIE + logdet)) / (2 * Math.LN2), 12);
  });
});

describe('streaming moments', () => {
  it('the exact tensor Gram of 8-bit data equals a float64 host Gram', async () => {
    const d = 40;
    const n = 2500; // three tensor chunks of at most 1024
    const u = rng(9);
    const data = new Uint8Array(n * d);
    for (let i = 0; i < data.length; i++) data[i] = Math.floor(u() * 256) & (i % 3 === 0 ? 0xff : 0xf0);
    const tensor = new MomentAccumulator(d, 'tensor', 128);
    await tensor.addIntegers(data.subarray(0, 700 * d), 700, 8);
    await tensor.addIntegers(data.subarray(700 * d), n - 700, 8);
    const host = new MomentAccumulator(d, 'host', 0);
    host.addFloats(data, n);
    const a = tensor.covariance();
    const b = host.covariance();
    let err = 0;
    for (let i = 0; i < d * d; i++) err = Math.max(err, Math.abs(a[i]! - b[i]!));
    expect(err).toBeLessThan(1e-8);
    const ma = tensor.mean();
    const mb = host.mean();
    for (let i = 0; i < d; i++) expect(ma[i]!).toBeCloseTo(mb[i]!, 10);
  });

  it('rejects values that do not fit the bit depth, naming them', async () => {
    const acc = new MomentAccumulator(2, 'tensor', 4);
    await expect(acc.addIntegers(Uint8Array.from([1, 9]), 1, 3)).rejects.toThrow(/value 9 at index 1 does not fit in 3 bits/);
  });
});

describe('stationary (DFT) bound', () => {
  /** Random smooth-ish 2-channel 4×6 images (correlated neighbours, correlated channels). */
  function images(n: number, seed: number): Uint8Array {
    const [h, w, c] = [4, 6, 2];
    const u = rng(seed);
    const out = new Uint8Array(n * h * w * c);
    for (let e = 0; e < n; e++) {
      const base = u() * 120;
      for (let y = 0; y < h; y++) {
        for (let x = 0; x < w; x++) {
          const v = base + 60 * Math.sin((x + y * 0.7) * (0.5 + u() * 0.2)) + u() * 30;
          out[((e * h + y) * w + x) * c] = Math.max(0, Math.min(255, Math.round(v)));
          out[((e * h + y) * w + x) * c + 1] = Math.max(0, Math.min(255, Math.round(0.5 * v + u() * 40 + y * 10)));
        }
      }
    }
    return out;
  }

  it('is an upper bound on the exact optimum, tight for translation-invariant data', async () => {
    const shape = [4, 6, 2];
    const data = images(300, 1);
    const plain = await computeBounds(arraySource(data, shape, 8));
    expect(plain.stationaryPpcaBpd).toBeGreaterThan(plain.ppcaBpd);

    // Add every cyclic translation of every image: the covariance becomes block-circulant.
    const [h, w, c] = shape as [number, number, number];
    const d = h * w * c;
    const n = 60;
    const shifted = new Uint8Array(n * h * w * d);
    let k = 0;
    for (let e = 0; e < n; e++) {
      for (let dy = 0; dy < h; dy++) {
        for (let dx = 0; dx < w; dx++) {
          for (let y = 0; y < h; y++) {
            for (let x = 0; x < w; x++) {
              for (let ch = 0; ch < c; ch++) shifted[k++] = data[e * d + ((((y + dy) % h) * w + ((x + dx) % w)) * c + ch)]!;
            }
          }
        }
      }
    }
    const invariant = await computeBounds(arraySource(shifted, shape, 8));
    expect(invariant.ppcaMethod).toBe('exact');
    expect(invariant.stationaryPpcaBpd).toBeCloseTo(invariant.ppcaBpd, 10);
    const forced = await computeBounds(arraySource(shifted, shape, 8), { method: 'stationary' });
    expect(forced.ppcaMethod).toBe('stationary');
    expect(forced.ppcaBpd).toBeCloseTo(invariant.ppcaBpd, 10);
  });
});

describe('held-out PPCA (train fit evaluated on another split)', () => {
  /** Correlated 8-bit vectors, d = 6, with a split-dependent shift. */
  function split(n: number, seed: number, shift: number): Uint8Array {
    const normal = gaussian(rng(seed));
    const out = new Uint8Array(n * 6);
    for (let e = 0; e < n; e++) {
      const g = Array.from({ length: 3 }, normal);
      for (let i = 0; i < 6; i++) out[e * 6 + i] = Math.max(0, Math.min(255, Math.round(120 + shift + 30 * g[i % 3]! + 10 * g[(i + 1) % 3]! + 5 * normal())));
    }
    return out;
  }

  it('is the cross-entropy, computed with an explicit inverse here', async () => {
    const shape = [2, 3, 1];
    const fit = await streamMoments(arraySource(split(800, 1, 0), shape, 8));
    const test = await streamMoments(arraySource(split(300, 2, 7), shape, 8));
    const d = 6;
    const result = gaussianCrossEntropy(fit, test, d, 1 / 12);
    const sigma = Float64Array.from(fit.cov);
    for (let i = 0; i < d; i++) sigma[i * d + i]! += 1 / 12;
    const { inverse, logAbsDet } = inverseAndLogAbsDet(sigma, d);
    let trace = 0;
    for (let i = 0; i < d; i++) {
      for (let j = 0; j < d; j++) {
        const b = test.cov[j * d + i]! + (i === j ? 1 / 12 : 0) + (test.mean[j]! - fit.mean[j]!) * (test.mean[i]! - fit.mean[i]!);
        trace += inverse[i * d + j]! * b;
      }
    }
    const expected = (0.5 * (d * Math.log(2 * Math.PI) + logAbsDet + trace)) / (d * Math.LN2);
    expect(result.bpd).toBeCloseTo(expected, 10);

    // Through computeBounds, and never below the split's own optimum (Gibbs' inequality).
    const bounds = await computeBounds(arraySource(split(300, 2, 7), shape, 8), { heldOutFit: fit });
    expect(bounds.heldOutPpcaBpd).toBeCloseTo(expected, 10);
    expect(bounds.heldOutPpcaBpd!).toBeGreaterThan(bounds.ppcaBpd);
    // A split evaluated under its own fit gives its own optimum.
    expect(gaussianCrossEntropy(test, test, d, 1 / 12).bpd).toBeCloseTo(bounds.ppcaBpd, 10);
  });
});
