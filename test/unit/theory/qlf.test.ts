/**
 * The QLF estimator (Eq. 6 with each image's translation-averaged, dequantised
 * auto-correlation): its eigenvalues against a dense matrix, the documented synthetic cases
 * with known values, and its relation to the PPCA bounds.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../../src-main/engine/backend';
import { arraySource, computeBounds } from '../../../src-main/engine/theory/bounds';
import { ImageDft, selfConjugateCount } from '../../../src-main/engine/numeric/fft';
import { qlfLiteralLogEigenSum, qlfLogEigenSum } from '../../../src-main/engine/theory/qlf';
import { dft } from '../../../src-main/engine/numeric/fft';
import { gaussian, rng, symmetricEigenvalues } from './helpers/reference64';

beforeAll(async () => {
  await initBackend('cpu');
});

const LOG2PIE = Math.log(2 * Math.PI) + 1;
const SIGMA2 = 1 / 12;
const EULER_GAMMA = 0.5772156649015329;

function spectrum(image: ArrayLike<number>, h: number, w: number, c: number): { re: Float64Array; im: Float64Array } {
  const re = new Float64Array(h * w * c);
  const im = new Float64Array(h * w * c);
  new ImageDft(h, w, c).transform(image, re, im);
  return { re, im };
}

describe('per-image auto-correlation', () => {
  it('its eigenvalues are the periodogram plus 1/12 (dense translation-averaged matrix)', () => {
    const [h, w, c] = [3, 4, 2];
    const d = h * w * c;
    const normal = gaussian(rng(21));
    const v = Array.from({ length: d }, () => 40 * normal());
    // S = (1/hw) Σ_τ (T_τ v)(T_τ v)ᵀ + σ²I, built densely.
    const s = new Float64Array(d * d);
    for (let dy = 0; dy < h; dy++) {
      for (let dx = 0; dx < w; dx++) {
        const t = new Float64Array(d);
        for (let y = 0; y < h; y++) {
          for (let x = 0; x < w; x++) {
            for (let ch = 0; ch < c; ch++) t[(y * w + x) * c + ch] = v[((((y + dy) % h) * w + ((x + dx) % w)) * c + ch)]!;
          }
        }
        for (let i = 0; i < d; i++) for (let j = 0; j < d; j++) s[i * d + j]! += (t[i]! * t[j]!) / (h * w);
      }
    }
    for (let i = 0; i < d; i++) s[i * d + i]! += SIGMA2;
    const dense = symmetricEigenvalues(s, d).reduce((acc, l) => acc + Math.log(l), 0);
    const { re, im } = spectrum(v, h, w, c);
    expect(qlfLogEigenSum(re, im, h * w, c, SIGMA2)).toBeCloseTo(dense, 8);
  });

  it('rejects the divergent cases with a reason', () => {
    const zeros = new Float64Array(8);
    expect(() => qlfLogEigenSum(zeros, zeros, 4, 2, 0)).toThrow(/rank one/);
    expect(() => qlfLogEigenSum(zeros, zeros, 8, 1, 0)).toThrow(/zero power at frequency 0/);
    expect(() => qlfLiteralLogEigenSum(10, 8, 0)).toThrow(/diverges/);
  });
});

describe('documented synthetic cases', () => {
  it('two cosine images: QLF, PPCA and the stationary bound in closed form', async () => {
    // Channel 0 = 128 ± 100 cos(πx/2), channel 1 = 128 ∓ 50 cos(πx/2), channel 2 = 128 on an
    // 8 × 8 grid (integers: cos(πx/2) ∈ {1, 0, −1, 0}). Mean 128 everywhere, so each centred
    // image is ±v. Its unitary DFT is non-zero only at (0, ±2): (±400, ∓200, 0), so every image
    // has ‖V‖² = 200 000 at two frequencies, and Cov(k) = v vᵀ with ‖v‖² = 32·(100² + 50²).
    const [h, w, c] = [8, 8, 3];
    const d = h * w * c;
    const data = new Uint8Array(2 * d);
    for (let e = 0; e < 2; e++) {
      const sign = e === 0 ? 1 : -1;
      for (let y = 0; y < h; y++) {
        for (let x = 0; x < w; x++) {
          const cos = [1, 0, -1, 0][x % 4]!;
          const i = e * d + (y * w + x) * c;
          data[i] = 128 + sign * 100 * cos;
          data[i + 1] = 128 - sign * 50 * cos;
          data[i + 2] = 128;
        }
      }
    }
    const result = await computeBounds(arraySource(data, [h, w, c], 8));
    const bpd = (logsum: number): number => (0.5 * (d * LOG2PIE + logsum)) / (d * Math.LN2);
    const qlf = 2 * Math.log(200_000 + SIGMA2) + (d - 2) * Math.log(SIGMA2);
    expect(result.qlfBpd).toBeCloseTo(bpd(qlf), 10);
    // All images share one spectrum, so Jensen is an equality: stationary PPCA = QLF.
    expect(result.stationaryPpcaBpd).toBeCloseTo(bpd(qlf), 10);
    const energy = 32 * (100 ** 2 + 50 ** 2);
    expect(result.ppcaBpd).toBeCloseTo(bpd(Math.log(energy + SIGMA2) + (d - 1) * Math.log(SIGMA2)), 10);
    expect(result.qlfLiteralBpd).toBeCloseTo(bpd(Math.log(energy + SIGMA2) + (d - 1) * Math.log(SIGMA2)), 10);
  });

  it('stationary Gaussian fields: the mean estimate is Σ log P − γd − (log 2)·#real frequencies', () => {
    // x = k ⊛ g (circular convolution of white noise with a fixed kernel), so Cov(x) is
    // circulant with eigenvalues P(ω) = |K(ω)|² (K the unnormalised DFT of the kernel). With the
    // unitary DFT, |X(ω)|²/P(ω) is Exp(1) where X(ω) is complex (E log = −γ) and χ²₁ at the
    // self-conjugate frequencies where it is real (E log = −γ − log 2). Continuous core: no
    // noise floor (σ² = 0), zero mean known.
    const [h, w] = [8, 8];
    const d = h * w;
    const kernel = new Float64Array(d);
    kernel[0] = 1;
    kernel[1] = 0.6;
    kernel[w] = -0.4;
    kernel[w + 1] = 0.3;
    kernel[2 * w + 3] = 0.2;
    // Unnormalised 2-D DFT of the kernel by two 1-D passes.
    const kr = new Float64Array(d);
    const ki = new Float64Array(d);
    for (let y = 0; y < h; y++) {
      const row = dft(kernel.subarray(y * w, (y + 1) * w));
      kr.set(row.re, y * w);
      ki.set(row.im, y * w);
    }
    const power = new Float64Array(d);
    for (let v = 0; v < w; v++) {
      const col = dft(
        Array.from({ length: h }, (_, y) => kr[y * w + v]!),
        Array.from({ length: h }, (_, y) => ki[y * w + v]!),
      );
      for (let u = 0; u < h; u++) power[u * w + v] = col.re[u]! ** 2 + col.im[u]! ** 2;
    }
    const expected = power.reduce((s, p) => s + Math.log(p), 0) - EULER_GAMMA * d - Math.LN2 * selfConjugateCount(h, w);

    const normal = gaussian(rng(77));
    const n = 3000;
    let sum = 0;
    const image = new Float64Array(d);
    for (let e = 0; e < n; e++) {
      const g = Array.from({ length: d }, normal);
      for (let y = 0; y < h; y++) {
        for (let x = 0; x < w; x++) {
          let s = 0;
          for (let a = 0; a < h; a++) {
            for (let b = 0; b < w; b++) {
              const kv = kernel[a * w + b]!;
              if (kv !== 0) s += kv * g[((y - a + h) % h) * w + ((x - b + w) % w)]!;
            }
          }
          image[y * w + x] = s;
        }
      }
      const { re, im } = spectrum(image, h, w, 1);
      sum += qlfLogEigenSum(re, im, d, 1, 0);
    }
    const estimate = sum / n;
    // Var of the per-image sum ≈ (d/2)·4·π²/6 (conjugate pairs are equal): 4 standard errors.
    const tolerance = 4 * Math.sqrt((d * Math.PI ** 2) / 3 / n);
    expect(Math.abs(estimate - expected)).toBeLessThan(tolerance);
    // The test can tell the bias terms apart: without them it would be off by ~γd = 37 nats.
    expect(tolerance).toBeLessThan(2);
  });
});

describe('relations', () => {
  it('QLF ≤ stationary PPCA (Jensen) and the literal reading ≤ exact PPCA', async () => {
    const [h, w, c] = [5, 6, 1];
    const u = rng(8);
    const n = 400;
    const data = new Uint8Array(n * h * w * c);
    for (let e = 0; e < n; e++) {
      const contrast = 10 + 100 * u();
      for (let i = 0; i < h * w; i++) data[e * h * w + i] = Math.round(120 + contrast * Math.sin(i * 0.9 + 6 * u()) * u());
    }
    const r = await computeBounds(arraySource(data, [h, w, c], 8));
    expect(r.qlfBpd).toBeLessThan(r.stationaryPpcaBpd);
    expect(r.qlfLiteralBpd).toBeLessThan(r.ppcaBpd);
    expect(r.ppcaBpd).toBeLessThanOrEqual(r.stationaryPpcaBpd);
    // The literal value is ½ log₂(2πe/12) + log₂((‖v‖² + 1/12)·12)/(2d) on average.
    expect(r.qlfLiteralBpd).toBeGreaterThan(0.5 * Math.log2((2 * Math.PI * Math.E) / 12));
  });
});
