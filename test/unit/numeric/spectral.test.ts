/** The float64 FFT and determinants against naive references. */
import { describe, expect, it } from 'vitest';
import { ImageDft, dft } from '../../../src-main/engine/numeric/fft';
import { SingularCovarianceError, choleskyLogDet, hermitianLogDet } from '../../../src-main/engine/numeric/cholesky';
import { gaussian, naiveDft, rng, symmetricEigenvalues } from '../theory/helpers/reference64';

describe('fft64', () => {
  it.each([1, 2, 3, 7, 8, 28, 30, 64, 100, 257])('matches the naive DFT for length %i', (n) => {
    const normal = gaussian(rng(n));
    const re = Array.from({ length: n }, normal);
    const im = Array.from({ length: n }, normal);
    const fast = dft(re, im);
    const slow = naiveDft(re, im);
    let err = 0;
    let scale = 0;
    for (let k = 0; k < n; k++) {
      err = Math.max(err, Math.abs(fast.re[k]! - slow.re[k]!), Math.abs(fast.im[k]! - slow.im[k]!));
      scale = Math.max(scale, Math.abs(slow.re[k]!), Math.abs(slow.im[k]!));
    }
    expect(err / scale).toBeLessThan(1e-12);
  });

  it('ImageDft is the unitary 2-D DFT per channel, with centring', () => {
    const [h, w, c] = [6, 5, 2];
    const u = rng(3);
    const image = Array.from({ length: h * w * c }, () => Math.floor(u() * 256));
    const offset = Array.from({ length: h * w * c }, () => u() * 255);
    const re = new Float64Array(h * w * c);
    const im = new Float64Array(h * w * c);
    new ImageDft(h, w, c).transform(image, re, im, offset);
    let energyPixels = 0;
    let energySpectrum = 0;
    for (let ch = 0; ch < c; ch++) {
      for (let a = 0; a < h; a++) {
        for (let b = 0; b < w; b++) {
          let sr = 0;
          let si = 0;
          for (let y = 0; y < h; y++) {
            for (let x = 0; x < w; x++) {
              const idx = (y * w + x) * c + ch;
              const angle = -2 * Math.PI * ((a * y) / h + (b * x) / w);
              sr += (image[idx]! - offset[idx]!) * Math.cos(angle);
              si += (image[idx]! - offset[idx]!) * Math.sin(angle);
            }
          }
          const scale = 1 / Math.sqrt(h * w);
          expect(re[(a * w + b) * c + ch]!).toBeCloseTo(sr * scale, 9);
          expect(im[(a * w + b) * c + ch]!).toBeCloseTo(si * scale, 9);
          energySpectrum += re[(a * w + b) * c + ch]! ** 2 + im[(a * w + b) * c + ch]! ** 2;
        }
      }
    }
    for (let i = 0; i < h * w * c; i++) energyPixels += (image[i]! - offset[i]!) ** 2;
    expect(energySpectrum / energyPixels).toBeCloseTo(1, 12);
  });
});

describe('linalg64', () => {
  it('choleskyLogDet equals the sum of log eigenvalues', () => {
    const n = 25;
    const normal = gaussian(rng(11));
    const b = Array.from({ length: n * n }, normal);
    const a = new Float64Array(n * n);
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < n; j++) {
        let s = i === j ? 0.1 : 0;
        for (let k = 0; k < n; k++) s += b[i * n + k]! * b[j * n + k]!;
        a[i * n + j] = s;
      }
    }
    const reference = symmetricEigenvalues(a, n).reduce((acc, l) => acc + Math.log(l), 0);
    expect(choleskyLogDet(a, n)).toBeCloseTo(reference, 8);
  });

  it('names the dimension of a singular covariance (a constant pixel)', () => {
    // Dimension 1 is constant: zero row and column.
    const a = Float64Array.from([2, 0, 1, 0, 0, 0, 1, 0, 3]);
    let caught: unknown;
    try {
      choleskyLogDet(a, 3);
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(SingularCovarianceError);
    expect((caught as SingularCovarianceError).index).toBe(1);
    expect((caught as Error).message).toMatch(/singular at dimension 1/);
  });

  it('hermitianLogDet is half the log det of the real 2c × 2c embedding', () => {
    const c = 3;
    const normal = gaussian(rng(5));
    // H = Z Zᴴ + I for a random complex Z.
    const zr = Array.from({ length: c * c }, normal);
    const zi = Array.from({ length: c * c }, normal);
    const hr = new Float64Array(c * c);
    const hi = new Float64Array(c * c);
    for (let i = 0; i < c; i++) {
      for (let j = 0; j < c; j++) {
        let sr = i === j ? 1 : 0;
        let si = 0;
        for (let k = 0; k < c; k++) {
          // Z_ik conj(Z_jk)
          sr += zr[i * c + k]! * zr[j * c + k]! + zi[i * c + k]! * zi[j * c + k]!;
          si += zi[i * c + k]! * zr[j * c + k]! - zr[i * c + k]! * zi[j * c + k]!;
        }
        hr[i * c + j] = sr;
        hi[i * c + j] = si;
      }
    }
    // [[A, −B], [B, A]] has the eigenvalues of H, each twice.
    const n = 2 * c;
    const real = new Float64Array(n * n);
    for (let i = 0; i < c; i++) {
      for (let j = 0; j < c; j++) {
        real[i * n + j] = hr[i * c + j]!;
        real[(i + c) * n + (j + c)] = hr[i * c + j]!;
        real[i * n + (j + c)] = -hi[i * c + j]!;
        real[(i + c) * n + j] = hi[i * c + j]!;
      }
    }
    const reference = symmetricEigenvalues(real, n).reduce((acc, l) => acc + Math.log(l), 0) / 2;
    expect(hermitianLogDet(hr, hi, c)).toBeCloseTo(reference, 10);
    expect(hermitianLogDet([1, 0, 0, 0], [0, 0, 0, 0], 2)).toBe(-Infinity);
  });
});
