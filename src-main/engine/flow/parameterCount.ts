/**
 * The number of trainable parameters of a model, counted from its config without building it
 * (no tensors, no tfjs): what `flowstudio presets` and the UI's preset picker show. The layer
 * shapes follow the layers themselves (invConv.ts, couplingNets.ts, rqActivation.ts);
 * test/unit/flow/parameterCount.test.ts checks the count against the variables of built models.
 */
import type { CouplingNetwork, ModelConfig } from '../../../src-shared/config';
import { bottleneckWidth, headOutputs, squeezeExcitationWidth } from './couplingWidths';
import { planModel } from './shapes';

export interface ParameterCount {
  total: number;
  /** f_conv: the packed LU matrix (n²) and the log-scales (n) of every block. */
  conv: number;
  /** f_aff: both coupling networks of every block. */
  coupling: number;
  /** f_act: θx, θy (I each), θa (I + 1) and log w per channel of every block. */
  activation: number;
}

/** A convolution of kernel k (0: dense) from `inputs` to `outputs` channels, with bias. */
function linear(kernel: number, inputs: number, outputs: number): number {
  return Math.max(1, kernel * kernel) * inputs * outputs + outputs;
}

function squeezeExcitation(channels: number, reduction: number | undefined): number {
  const inner = squeezeExcitationWidth(channels, reduction);
  return linear(0, channels, inner) + linear(0, inner, channels);
}

/** One coupling network from `inputs` conditioning channels to the scale and shift of `dims`. */
function couplingNet(config: ModelConfig, network: CouplingNetwork, inputs: number, dims: number): number {
  const { hidden: h, mixtures, seReduction } = config.coupling;
  const out = headOutputs(dims, mixtures, config.ablation.unconstrained);
  switch (network) {
    case 'dense':
      return linear(0, inputs, h) + linear(0, h, h) + linear(0, h, out);
    case 'convnet':
      return linear(3, inputs, h) + linear(1, h, h) + linear(3, h, out);
    case 'resnet-se': {
      const b = bottleneckWidth(h);
      const stem = linear(3, inputs, h);
      const residual = linear(1, h, b) + linear(3, b, b) + linear(1, b, h) + squeezeExcitation(h, seReduction);
      const tail = linear(1, h, h) + squeezeExcitation(h, seReduction) + linear(1, h, out);
      return stem + residual + tail;
    }
  }
}

/** The parameters of one block whose layers work on `channels` channels (its output's). */
export function blockParameterCount(config: ModelConfig, channels: number): ParameterCount {
  const c = channels;
  const r = Math.floor(c / 2);
  const conv = c * c + c;
  const coupling = couplingNet(config, config.coupling.network, c - r, r) + couplingNet(config, config.coupling.network, r, c - r);
  const activation = c * (3 * config.activation.bins + 2);
  return { total: conv + coupling + activation, conv, coupling, activation };
}

/** Throws the config's shape problems (as createFlowModel would). */
export function countParameters(config: ModelConfig): ParameterCount {
  const plan = planModel(config);
  const sum: ParameterCount = { total: 0, conv: 0, coupling: 0, activation: 0 };
  for (const level of plan.levels) {
    for (const block of level.blocks) {
      const b = blockParameterCount(config, block.outputShape[block.outputShape.length - 1]!);
      sum.total += b.total;
      sum.conv += b.conv;
      sum.coupling += b.coupling;
      sum.activation += b.activation;
    }
  }
  return sum;
}
