/**
 * Builds the layers of a baseline block (Glow, RQ-NSF, RealNVP) from its specs
 * (architecture.ts). Initial values depend on the seed and the layer's place only, as for the
 * paper's blocks; tfjs variable names carry the model's instance scope.
 */
import type { ModelConfig } from '../../../src-shared/config';
import type { LayerDescriptor } from '../../../src-shared/protocol';
import type { LayerSpec } from './architecture';
import { ActNorm } from './layers/actNorm';
import { ExpQrConv } from './layers/expQrConv';
import { InvertibleConv } from './layers/invConv';
import { MaskedCoupling } from './layers/maskedCoupling';
import { ChannelPermutation, SqueezeLayer } from './layers/permute';
import { SplineCoupling } from './layers/splineCoupling';
import { SplitPrior } from './layers/splitPrior';
import type { Bijection } from './types';
import { mixSeed, nameHash } from './variables';

export interface BaselineLayerContext {
  config: ModelConfig;
  /** `L1.B2`, 1-based. */
  block: string;
  level: number;
  blockIndex: number;
  /** Instance scope of the variable names (`flow3/`). */
  scope: string;
  /** The block's seed (mixSeed of the model seed, level and block). */
  seed: number;
}

export function buildBaselineLayer(spec: LayerSpec, c: BaselineLayerContext): Bijection {
  const descriptor: LayerDescriptor = { name: `${c.block}.${spec.name}`, level: c.level, block: c.blockIndex, kind: spec.kind };
  const prefix = `${c.scope}${c.block}.${spec.name}/`;
  const channels = spec.shape[spec.shape.length - 1]!;
  const seed = mixSeed(c.seed, nameHash(spec.name));
  const net = {
    network: c.config.coupling.network,
    hidden: c.config.coupling.hidden,
    ...(c.config.coupling.seReduction !== undefined ? { seReduction: c.config.coupling.seReduction } : {}),
    ...(c.config.coupling.resBlocks !== undefined ? { resBlocks: c.config.coupling.resBlocks } : {}),
  };
  switch (spec.kind) {
    case 'squeeze':
      return new SqueezeLayer(descriptor, spec.factor);
    case 'actnorm':
      return new ActNorm(descriptor, channels, prefix);
    case 'perm':
      return new ChannelPermutation(descriptor, channels, spec.permutation, seed);
    case 'conv': {
      // Glow's 1×1 convolution, started at the identity (log|det W| = 0, as Glow's rotation).
      const options = { descriptor, channels, kernel: 1, kappa: 1, variablePrefix: prefix };
      return c.config.convWeight === 'exp-qr' ? new ExpQrConv(options) : new InvertibleConv(options);
    }
    case 'aff':
      return new MaskedCoupling({ descriptor, channels, mask: spec.mask, parity: spec.parity, scale: spec.scale, ...net, seed, variablePrefix: prefix });
    case 'spline':
      return new SplineCoupling({ descriptor, channels, parity: spec.parity, bins: spec.bins, tailBound: spec.tailBound, ...net, seed, variablePrefix: prefix });
    case 'prior':
      return new SplitPrior(descriptor, channels, spec.keep, spec.shape.length === 3, prefix);
  }
}
