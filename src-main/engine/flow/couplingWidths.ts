/**
 * Widths inside the coupling networks that App. C leaves open, in one place so that the
 * networks (layers/couplingNets.ts) and the analytic parameter count (parameterCount.ts)
 * cannot disagree. docs/flow.md ("Presets") gives the reasons for the values.
 */

/** SE reduction of `resnet-se` when a config gives none (run folders written before the field). */
export const DEFAULT_SE_REDUCTION = 4;

/** Width of the residual bottleneck (1×1 → 3×3 → 1×1) of `resnet-se`: hidden/2. */
export function bottleneckWidth(hidden: number): number {
  return Math.max(1, Math.floor(hidden / 2));
}

/** Inner width of a squeeze-excitation gate on `channels` channels: channels/reduction. */
export function squeezeExcitationWidth(channels: number, reduction = DEFAULT_SE_REDUCTION): number {
  return Math.max(1, Math.floor(channels / reduction));
}

/**
 * Output channels of a coupling network's last ("linear", Eq. 15) layer for `dims` scaled
 * dimensions: M values φ_m per dimension plus one shift (unconstrained: one log-scale).
 */
export function headOutputs(dims: number, mixtures: number, unconstrained: boolean): number {
  return (unconstrained ? 1 : mixtures) * dims + dims;
}

/** Residual blocks of `resnet` when a config gives none. */
export const DEFAULT_RES_BLOCKS = 2;

/** Raw spline parameters per transformed element: K widths, K heights, K − 1 inner derivatives. */
export function splineParameterCount(bins: number): number {
  return 3 * bins - 1;
}

/** A baseline coupling's network sizes per pixel: channels it sees, channels it transforms, outputs. */
export interface CouplingSizes {
  inputs: number;
  transformed: number;
  outputs: number;
}

/**
 * Affine / additive masked coupling (layers/maskedCoupling.ts): the channel mask conditions on the
 * first ⌊c/2⌋ channels (parity 0) or the rest (parity 1); the checkerboard sees and scores all c.
 */
export function maskedCouplingSizes(channels: number, mask: 'channel' | 'checkerboard', parity: number, scale: 'sigmoid' | 'tanh' | 'additive'): CouplingSizes {
  const half = Math.floor(channels / 2);
  const conditioning = parity === 0 ? half : channels - half;
  const transformed = mask === 'checkerboard' ? channels : channels - conditioning;
  const inputs = mask === 'checkerboard' ? channels : conditioning;
  return { inputs, transformed, outputs: (scale === 'additive' ? 1 : 2) * transformed };
}

/** Spline coupling (layers/splineCoupling.ts): channel mask, 3K − 1 outputs per transformed element. */
export function splineCouplingSizes(channels: number, parity: number, bins: number): CouplingSizes {
  const half = Math.floor(channels / 2);
  const inputs = parity === 0 ? half : channels - half;
  const transformed = channels - inputs;
  return { inputs, transformed, outputs: transformed * splineParameterCount(bins) };
}

/** Glow's split prior (layers/splitPrior.ts): a 3×3 (vectors: dense) conv to (μ, log σ), its bias and logs. */
export function splitPriorParameterCount(keep: number, out: number, image: boolean): number {
  const outputs = 2 * out;
  return (image ? 9 : 1) * keep * outputs + 2 * outputs;
}
