/**
 * The PPCA / linear-flow optimum (Sec. 2.1.2, App. A.2): the best x-independent linear flow
 * z = W(x − b) is the Gaussian with the data's mean and covariance, at ½(d log 2πe + log det Σ̃)
 * nats per example, where Σ̃ = Cov(k) + σ²I is the covariance of the dequantised data
 * (σ² = 1/12 for integer data: the dequantisation noise is independent of k; σ² = 0 for data
 * that are already continuous).
 *
 * Two ways to get log det Σ̃:
 *  - exact: a float64 Cholesky of the d × d covariance (d ≤ 3072 by default: 75 MB, ~10 s).
 *    With σ² = 1/12 the matrix is never singular (every eigenvalue ≥ 1/12), so constant border
 *    pixels need no jitter; for continuous data a singular Σ is an error naming the dimension.
 *  - stationary (spectral): for d where d × d matrices do not fit. With F the unitary 2-D DFT
 *    (applied per channel), the diagonal c × c blocks of F Σ̃ Fᴴ are P(ω) = E[V(ω)V(ω)ᴴ] + σ²I,
 *    V = F(k − μ). The Gaussian with covariance C = Fᴴ blockdiag(P) F is a linear flow (a DFT
 *    followed by a c × c whitening per frequency) whose expected NLL is exactly
 *    ½(d log 2πe + Σ_ω log det P(ω)), because tr(C⁻¹Σ̃) = Σ_ω tr(P(ω)⁻¹P(ω)) = d. So this value
 *    is attained by a linear flow and is an UPPER bound on the PPCA optimum (Fischer's
 *    inequality, log det Σ̃ ≤ Σ_ω log det P(ω), says the same), equal to it when the image
 *    statistics are translation invariant with periodic boundaries (Σ̃ block-circulant).
 */
import { gaussianOptimumNats, natsToBpd } from './gaussian';
import { hermitianLogDet, choleskyLogDet } from '../numeric/cholesky';

export interface GaussianBound {
  /** Expected NLL of the best Gaussian, nats per example (x̃ units). */
  nats: number;
  bpd: number;
  logdetCov: number;
}

/** Exact optimum from a d × d covariance of k (row-major); σ² is added to the diagonal. */
export function ppcaFromCovariance(cov: Float64Array, dims: number, noiseVariance: number): GaussianBound {
  if (!(noiseVariance >= 0)) throw new Error(`ppca: noise variance must be ≥ 0, got ${noiseVariance}`);
  const m = Float64Array.from(cov);
  for (let i = 0; i < dims; i++) m[i * dims + i]! += noiseVariance;
  const logdetCov = choleskyLogDet(m, dims);
  const nats = gaussianOptimumNats(dims, logdetCov);
  return { nats, bpd: natsToBpd(nats, dims), logdetCov };
}

/**
 * Σ over images of V(ω)V(ω)ᴴ for every frequency ω (c × c each, float64), V the unitary DFT of
 * the centred image in the [frequency, channel] layout of ImageDft.
 */
export class SpectralAccumulator {
  count = 0;
  private readonly re: Float64Array;
  private readonly im: Float64Array;

  constructor(
    readonly frequencies: number,
    readonly channels: number,
  ) {
    this.re = new Float64Array(frequencies * channels * channels);
    this.im = new Float64Array(frequencies * channels * channels);
  }

  add(vRe: Float64Array, vIm: Float64Array): void {
    const c = this.channels;
    if (vRe.length !== this.frequencies * c) throw new Error(`spectral: spectrum has ${vRe.length} values, expected ${this.frequencies * c}`);
    for (let f = 0; f < this.frequencies; f++) {
      const base = f * c;
      const out = f * c * c;
      for (let i = 0; i < c; i++) {
        const ar = vRe[base + i]!;
        const ai = vIm[base + i]!;
        for (let j = 0; j <= i; j++) {
          // V_i conj(V_j)
          const br = vRe[base + j]!;
          const bi = vIm[base + j]!;
          this.re[out + i * c + j]! += ar * br + ai * bi;
          this.im[out + i * c + j]! += ai * br - ar * bi;
        }
      }
    }
    this.count++;
  }

  /** Σ_ω log det(E[VVᴴ](ω) + σ²I): the stationary upper bound on log det Σ̃. */
  logDet(noiseVariance: number): number {
    if (this.count === 0) throw new Error('spectral: no images were added');
    const c = this.channels;
    const pr = new Float64Array(c * c);
    const pi = new Float64Array(c * c);
    let total = 0;
    for (let f = 0; f < this.frequencies; f++) {
      for (let i = 0; i < c; i++) {
        for (let j = 0; j <= i; j++) {
          pr[i * c + j] = this.re[f * c * c + i * c + j]! / this.count + (i === j ? noiseVariance : 0);
          pi[i * c + j] = this.im[f * c * c + i * c + j]! / this.count;
        }
      }
      const ld = hermitianLogDet(pr, pi, c);
      if (!Number.isFinite(ld)) {
        throw new Error(`spectral: the cross-channel spectrum at frequency ${f} is singular (no variance there); log det is -infinity`);
      }
      total += ld;
    }
    return total;
  }

  bound(noiseVariance: number): GaussianBound {
    const dims = this.frequencies * this.channels;
    const logdetCov = this.logDet(noiseVariance);
    const nats = gaussianOptimumNats(dims, logdetCov);
    return { nats, bpd: natsToBpd(nats, dims), logdetCov };
  }
}
