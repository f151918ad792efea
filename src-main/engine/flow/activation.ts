/**
 * Builds each block's f_act: the monotonic rational-quadratic activation (layers/rqActivation.ts,
 * Eq. 16–17, App. C), per-channel parameters over the last axis, linear with slope β at
 * initialisation (its `initialSlope`, which the blockwise initialisation inverts).
 */
import type { ModelConfig } from '../../../src-shared/config';
import type { LayerDescriptor } from '../../../src-shared/protocol';
import type { Tensor } from '../tf';
import { RQActivation } from './layers/rqActivation';
import type { Bijection } from './types';

export type ActivationLayer = Bijection & {
  maxDerivative(): number;
  /** What the supremum of f' depends on, as a device tensor of `slopeTableSize` values. */
  slopeTable(): Tensor;
  readonly slopeTableSize: number;
  /** Supremum of f' per channel from `slopeTable()`'s values (host, no read). */
  maxDerivativeFromTable(values: ArrayLike<number>): number[];
  /** Slope of the (linear) map at initialisation; the block's κ·s is its inverse. */
  readonly initialSlope: number;
};

/** `variableName` prefixes the layer's variables (`flow1/L1.B1.act` → `flow1/L1.B1.act/theta_x`). */
export function createActivation(
  descriptor: LayerDescriptor,
  channels: number,
  config: ModelConfig,
  variableName: string,
): ActivationLayer {
  return new RQActivation({
    descriptor,
    channels,
    bins: config.activation.bins,
    variant: config.activation.variant,
    tailBound: config.activation.tailBound,
    beta: config.beta,
    unconstrained: config.ablation.unconstrained,
    name: variableName,
  });
}
