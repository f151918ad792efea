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
