/**
 * The Gaussian optimum in the training units. Data are n-bit integers k; the model sees the
 * dequantised x̃ = k + u, u ~ U[0,1)^d, and bits/dim are −log p(x̃)/(d ln 2) with x̃ on the
 * integer grid (flow/units.ts: the scaling x = x̃/2ⁿ − 0.5 of the model input contributes
 * d·n·ln 2 to the log-det, so −log p(x̃) = −log p_model(x) + d·n·ln 2; any Gaussian in x has
 * the same bpd as its image in x̃, hence we work in x̃ units throughout).
 *
 * For any distribution with covariance Σ, the Gaussian with its mean and covariance minimises
 * the expected NLL among Gaussians, at ½(d log 2πe + log det Σ) nats (Eq. 21 at its optimum
 * W = UΛ^{-1/2}Vᵀ: tr(MS') = d and log|det M⁻¹| = log det Σ).
 */

/** Per-dimension variance that uniform dequantisation adds in x̃ units: Var U[0,1) = 1/12. */
export const DEQUANTISATION_VARIANCE = 1 / 12;

const LOG_2PI_E = Math.log(2 * Math.PI) + 1;

/** Expected NLL (nats per example) of the best Gaussian for data with log det Σ = logdetCov. */
export function gaussianOptimumNats(dims: number, logdetCov: number): number {
  return 0.5 * (dims * LOG_2PI_E + logdetCov);
}

/** Nats per example → bits per dimension. */
export function natsToBpd(nats: number, dims: number): number {
  return nats / (dims * Math.LN2);
}
