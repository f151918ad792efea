/**
 * Blockwise volume-preserving initialisation (Sec. 3.2, Eq. 18). Each block
 * f_act ∘ f_aff ∘ f_conv starts as the identity: the convolution (κ·I) and the coupling's
 * scales (s, with t = 0) together expand every dimension by 1/β, and the activation, linear
 * with slope β at initialisation, contracts it by β. Per block of d dimensions:
 *   log|det conv| + log|det aff| = d·(log κ + log s) = −d·log β = −log|det act|.
 *
 * Sharing 1/β between κ and s: evenly in log space, log κ = log s = −½·log β, while that
 * is at most LOG_SCALE_CAP; beyond it (β < e^{−2·cap}) s stays at the cap and κ takes the rest.
 * Why: both parts then start equally far from "no expansion", and s stays well inside the
 * Mexican-hat range [−2e^{−3/2}, 1] (Eq. 15) where its biases have non-zero gradient, for every
 * β ∈ (0, 1]. κ is an unconstrained matrix entry and can take any positive value.
 */
import { mexicanHatBiases } from './mexicanHat';

/**
 * Largest log-scale the initialisation gives a coupling. 0.5 (s ≈ 1.65) is reachable by a
 * Mexican-hat mixture with distinct biases for every M (about [−0.40, 0.92] for M = 4).
 */
export const LOG_SCALE_CAP_DEFAULT = 0.5;

export interface BlockInit {
  beta: number;
  /** f_conv weight at initialisation: κ·I. */
  kappa: number;
  /** log s of every coupling scale at initialisation. */
  logScale: number;
  /** Biases b_m of the Mexican-hat mixture giving `logScale` (constrained couplings). */
  mexicanHatBiases: number[];
}

export function blockInitialization(beta: number, mixtures: number, cap = LOG_SCALE_CAP_DEFAULT): BlockInit {
  if (!Number.isFinite(beta) || beta <= 0 || beta > 1) {
    throw new Error(`beta must be in (0, 1] (blockwise volume-preserving initialisation, Eq. 18), got ${beta}`);
  }
  const total = 0 - Math.log(beta); // (not −log β: that is −0 at β = 1)
  const logScale = Math.min(total / 2, cap);
  const logKappa = total - logScale;
  return { beta, kappa: Math.exp(logKappa), logScale, mexicanHatBiases: mexicanHatBiases(logScale, mixtures) };
}
