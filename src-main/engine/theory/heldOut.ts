/**
 * The held-out linear-flow reference: the Gaussian fitted to the training split (the best
 * linear flow trained there) evaluated on another split. Its expected NLL on data with mean μ'
 * and covariance Σ̃' is the cross-entropy
 *
 *   ½ (d log 2π + log det Σ̃ + tr(Σ̃⁻¹ (Σ̃' + δδᵀ))),   δ = μ' − μ,
 *
 * which is what a trained model's test bpd should be compared with (a split's own optimum,
 * `ppcaFromCovariance`, is fitted to that split and so is optimistic for test data).
 */
import { natsToBpd } from './gaussian';
import { SingularCovarianceError } from '../numeric/cholesky';
import type { GaussianBound } from './ppca';

/** Lower Cholesky factor (row-major) of a symmetric positive-definite matrix. */
function cholesky(a: Float64Array, n: number): Float64Array {
  const l = new Float64Array(n * n);
  let maxDiag = 0;
  for (let i = 0; i < n; i++) maxDiag = Math.max(maxDiag, Math.abs(a[i * n + i]!));
  const tiny = maxDiag * n * Number.EPSILON;
  for (let j = 0; j < n; j++) {
    let diag = a[j * n + j]!;
    for (let k = 0; k < j; k++) diag -= l[j * n + k]! ** 2;
    if (!(diag > tiny)) throw new SingularCovarianceError(`covariance is singular at dimension ${j}`, j);
    const ljj = Math.sqrt(diag);
    l[j * n + j] = ljj;
    for (let i = j + 1; i < n; i++) {
      let s = a[i * n + j]!;
      for (let k = 0; k < j; k++) s -= l[i * n + k]! * l[j * n + k]!;
      l[i * n + j] = s / ljj;
    }
  }
  return l;
}

export interface Moments {
  mean: Float64Array;
  /** Covariance of k (without the dequantisation noise), row-major d × d. */
  cov: Float64Array;
}

/** Expected NLL on `data` of the Gaussian fitted to `fit` (both dequantised with σ²). */
export function gaussianCrossEntropy(fit: Moments, data: Moments, dims: number, noiseVariance: number): GaussianBound {
  const d = dims;
  if (fit.mean.length !== d || data.mean.length !== d || fit.cov.length !== d * d || data.cov.length !== d * d) {
    throw new Error(`held-out PPCA: moments do not match d = ${d}`);
  }
  const sigma = Float64Array.from(fit.cov);
  for (let i = 0; i < d; i++) sigma[i * d + i]! += noiseVariance;
  const l = cholesky(sigma, d);
  let logdetCov = 0;
  for (let i = 0; i < d; i++) logdetCov += 2 * Math.log(l[i * d + i]!);
  // B = Σ̃' + δδᵀ and tr(Σ̃⁻¹B) = tr(L⁻¹ B L⁻ᵀ): Y = L⁻¹B, then the diagonal of L⁻¹Yᵀ
  // (B is symmetric, so Yᵀ = B L⁻ᵀ). Two triangular solves, d³ multiply-adds in all.
  const b = new Float64Array(d * d);
  for (let i = 0; i < d; i++) {
    const di = data.mean[i]! - fit.mean[i]!;
    for (let j = 0; j < d; j++) b[i * d + j] = data.cov[i * d + j]! + (i === j ? noiseVariance : 0) + di * (data.mean[j]! - fit.mean[j]!);
  }
  const y = lowerSolve(l, d, (i, j) => b[i * d + j]!);
  // Z = L⁻¹Yᵀ; only its diagonal is needed, but each row of Z needs the earlier rows.
  const z = lowerSolve(l, d, (i, j) => y[j * d + i]!);
  let trace = 0;
  for (let i = 0; i < d; i++) trace += z[i * d + i]!;
  const nats = 0.5 * (d * Math.log(2 * Math.PI) + logdetCov + trace);
  return { nats, bpd: natsToBpd(nats, d), logdetCov };
}

/** X = L⁻¹R for lower-triangular L (d × d), R given entrywise; row by row (rows of X depend on earlier rows). */
function lowerSolve(l: Float64Array, d: number, rhs: (i: number, j: number) => number): Float64Array {
  const x = new Float64Array(d * d);
  for (let i = 0; i < d; i++) {
    const lii = l[i * d + i]!;
    for (let j = 0; j < d; j++) {
      let s = rhs(i, j);
      for (let k = 0; k < i; k++) s -= l[i * d + k]! * x[k * d + j]!;
      x[i * d + j] = s / lii;
    }
  }
  return x;
}
