/**
 * Builds each block's f_act. The rational-quadratic activation (layers/rqActivation.ts, written
 * separately) is linear with slope β at initialisation; until it is available the temporary
 * LinearActivation (y = β·x) stands in with the same initial map.
 */
import type { ModelConfig } from '../../../src-shared/config';
import type { LayerDescriptor } from '../../../src-shared/protocol';
import { LinearActivation } from './layers/linearAct';
import type { Bijection } from './types';

export type ActivationLayer = Bijection & {
  maxDerivative(): number;
  /** Slope of the (linear) map at initialisation; the block's κ·s is its inverse. */
  readonly initialSlope: number;
};

export function createActivation(
  descriptor: LayerDescriptor,
  channels: number,
  config: ModelConfig,
  variablePrefix: string,
): ActivationLayer {
  void channels;
  void variablePrefix;
  return new LinearActivation(descriptor, config.beta);
}
