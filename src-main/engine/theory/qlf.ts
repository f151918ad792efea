/**
 * The QLF optimum of Eq. 6, L_max = E[−½(d log 2π + d + Σᵢ log λᵢ)], with a well-defined
 * per-example auto-correlation matrix.
 *
 * Taken literally, S = x xᵀ has rank one: d − 1 eigenvalues are 0 and L_max = +∞ (W(x) may
 * expand every direction orthogonal to x for free). Our estimator replaces x xᵀ by its average
 * over the two symmetries a single image cannot resolve:
 *  - the dequantisation noise: the data point is the unit cell k + [0,1)^d, not a point, so
 *    S averages over x̃ = k + u: E_u[(x̃ − μ̃)(x̃ − μ̃)ᵀ] = (k − μ)(k − μ)ᵀ + I/12;
 *  - cyclic translations τ of the image grid (the stationarity assumption that lets one image
 *    estimate its own auto-correlation): S_x = (1/hw) Σ_τ T_τ (k − μ)(k − μ)ᵀ T_τᵀ + I/12.
 * S_x is block-circulant, so the unitary DFT diagonalises it: with V = F(k − μ) (per channel),
 * its eigenvalues are, for each of the hw frequencies ω, ‖V(ω)‖² + 1/12 and (c − 1) times 1/12
 * (the c × c block V(ω)V(ω)ᴴ has rank one). Cost O(d log d) per image, no d × d matrices.
 * μ is the dataset mean (the QLF's bias b, assumed constant as in Eq. 4's zero-centring).
 *
 * By concavity of log det (Jensen), E_x Σ log λ(S_x) ≤ Σ_ω log det E_x[P_x(ω)], i.e. this QLF
 * value is never above the stationary PPCA bound computed from the same spectra. It can be
 * above the exact PPCA optimum when the data are far from translation invariant.
 *
 * The literal reading with only the dequantisation average, S = (k − μ)(k − μ)ᵀ + I/12, is
 * finite too (eigenvalues ‖k − μ‖² + 1/12 and d − 1 times 1/12) and, by the same Jensen
 * argument, never above the exact PPCA optimum; but it is ½ log₂(2πe/12) ≈ 0.2546 bpd plus a
 * O(log d / d) term for every dataset: a valid but vacuous value. It is reported beside the
 * periodogram estimator (`qlfLiteralLogEigenSum`).
 */
import { gaussianOptimumNats, natsToBpd } from './gaussian';

/**
 * Σᵢ log λᵢ of one image's auto-correlation matrix from its unitary spectrum V (layout
 * [frequency, channel], length frequencies·channels) and the noise floor σ².
 */
export function qlfLogEigenSum(vRe: Float64Array, vIm: Float64Array, frequencies: number, channels: number, noiseVariance: number): number {
  if (vRe.length !== frequencies * channels || vIm.length !== vRe.length) {
    throw new Error(`qlf: spectrum has ${vRe.length} values, expected ${frequencies}×${channels}`);
  }
  if (!(noiseVariance >= 0)) throw new Error(`qlf: noise variance must be ≥ 0, got ${noiseVariance}`);
  if (channels > 1 && noiseVariance === 0) {
    throw new Error('qlf: with several channels and no dequantisation noise the per-frequency auto-correlation has rank one: Eq. 6 diverges');
  }
  let total = channels > 1 ? frequencies * (channels - 1) * Math.log(noiseVariance) : 0;
  for (let f = 0; f < frequencies; f++) {
    let power = noiseVariance;
    for (let ch = 0; ch < channels; ch++) {
      const r = vRe[f * channels + ch]!;
      const i = vIm[f * channels + ch]!;
      power += r * r + i * i;
    }
    if (!(power > 0)) throw new Error(`qlf: zero power at frequency ${f} with no noise floor: Eq. 6 diverges for this image`);
    total += Math.log(power);
  }
  return total;
}

/**
 * Σᵢ log λᵢ of the literal, dequantisation-averaged S = vvᵀ + σ²I for a centred example with
 * ‖v‖² = energy: log(energy + σ²) + (d − 1) log σ². Needs σ² > 0 (otherwise Eq. 6 diverges).
 */
export function qlfLiteralLogEigenSum(energy: number, dims: number, noiseVariance: number): number {
  if (!(noiseVariance > 0)) throw new Error('qlf: the literal S = x xᵀ has rank one; Eq. 6 diverges without a noise floor');
  if (!(energy >= 0)) throw new Error(`qlf: energy must be ≥ 0, got ${energy}`);
  return Math.log(energy + noiseVariance) + (dims - 1) * Math.log(noiseVariance);
}

/** Running mean of the per-image Eq. 6 value, nats per example. */
export class QlfAccumulator {
  count = 0;
  private sumNats = 0;

  constructor(readonly dims: number) {}

  addLogEigenSum(logEigenSum: number): void {
    this.sumNats += gaussianOptimumNats(this.dims, logEigenSum);
    this.count++;
  }

  nats(): number {
    if (this.count === 0) throw new Error('qlf: no images were added');
    return this.sumNats / this.count;
  }

  bpd(): number {
    return natsToBpd(this.nats(), this.dims);
  }
}
