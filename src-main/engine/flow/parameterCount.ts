/**
 * The number of trainable parameters of a model, counted from its config without building it
 * (no tensors, no tfjs): what `flowstudio presets` and the UI's preset picker show. The layer
 * shapes follow the layers themselves (invConv.ts, couplingNets.ts, rqActivation.ts);
 * test/unit/flow/parameterCount.test.ts checks the count against the variables of built models.
 */
import { type CouplingNetwork, type ModelConfig, architectureOf } from '../../../src-shared/config';
import { type LayerSpec, baselineBlockLayers } from './architecture';
import { DEFAULT_RES_BLOCKS, bottleneckWidth, headOutputs, maskedCouplingSizes, splineCouplingSizes, splitPriorParameterCount, squeezeExcitationWidth } from './couplingWidths';
import { type BlockPlan, type LevelPlan, planModel } from './shapes';

export interface ParameterCount {
  total: number;
  /** f_conv: the packed LU matrix (n²) and the log-scales (n) of every block. */
  conv: number;
  /** f_aff: both coupling networks of every block. */
  coupling: number;
  /** f_act: θx, θy (I each), θa (I + 1) and log w per channel of every block (baselines: actnorm and split priors). */
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

/** A network's layers before its output layer, and the output layer's kernel (0: dense). */
function trunk(config: ModelConfig, network: CouplingNetwork, inputs: number): { parameters: number; headKernel: number } {
  const { hidden: h, seReduction } = config.coupling;
  switch (network) {
    case 'dense':
      return { parameters: linear(0, inputs, h) + linear(0, h, h), headKernel: 0 };
    case 'convnet':
      return { parameters: linear(3, inputs, h) + linear(1, h, h), headKernel: 3 };
    case 'resnet-se': {
      const b = bottleneckWidth(h);
      const stem = linear(3, inputs, h);
      const residual = linear(1, h, b) + linear(3, b, b) + linear(1, b, h) + squeezeExcitation(h, seReduction);
      return { parameters: stem + residual + linear(1, h, h) + squeezeExcitation(h, seReduction), headKernel: 1 };
    }
    case 'resnet': {
      const blocks = config.coupling.resBlocks ?? DEFAULT_RES_BLOCKS;
      return { parameters: linear(1, inputs, h) + blocks * 2 * linear(3, h, h), headKernel: 1 };
    }
  }
}

/** A network from `inputs` channels to `outputs` raw outputs per pixel (its zero-started head included). */
function conditioner(config: ModelConfig, inputs: number, outputs: number): number {
  const t = trunk(config, config.coupling.network, inputs);
  return t.parameters + linear(t.headKernel, config.coupling.hidden, outputs);
}

/** One coupling network from `inputs` conditioning channels to the scale and shift of `dims`. */
function couplingNet(config: ModelConfig, inputs: number, dims: number): number {
  return conditioner(config, inputs, headOutputs(dims, config.coupling.mixtures, config.ablation.unconstrained));
}

/** The parameters of one baseline layer, and which total it belongs to. */
function baselineLayer(config: ModelConfig, spec: LayerSpec): { part: 'conv' | 'coupling' | 'activation'; n: number } {
  const c = spec.shape[spec.shape.length - 1]!;
  switch (spec.kind) {
    case 'squeeze':
    case 'perm':
      return { part: 'conv', n: 0 };
    case 'conv':
      return { part: 'conv', n: c * c + c };
    case 'actnorm':
      return { part: 'activation', n: 2 * c };
    case 'prior':
      return { part: 'activation', n: splitPriorParameterCount(spec.keep, c - spec.keep, spec.shape.length === 3) };
    case 'aff': {
      const sizes = maskedCouplingSizes(c, spec.mask, spec.parity, spec.scale);
      return { part: 'coupling', n: conditioner(config, sizes.inputs, sizes.outputs) + (spec.scale === 'tanh' ? sizes.transformed : 0) };
    }
    case 'spline': {
      const sizes = splineCouplingSizes(c, spec.parity, spec.bins);
      return { part: 'coupling', n: conditioner(config, sizes.inputs, sizes.outputs) };
    }
  }
}

/** The parameters of one block of a baseline architecture. */
export function baselineBlockParameterCount(config: ModelConfig, bp: BlockPlan, level: LevelPlan, lastLevel: boolean): ParameterCount {
  const sum: ParameterCount = { total: 0, conv: 0, coupling: 0, activation: 0 };
  for (const spec of baselineBlockLayers(config, bp, level, lastLevel)) {
    const { part, n } = baselineLayer(config, spec);
    sum[part] += n;
    sum.total += n;
  }
  return sum;
}

/** The parameters of one block whose layers work on `channels` channels (its output's). */
export function blockParameterCount(config: ModelConfig, channels: number): ParameterCount {
  const c = channels;
  const r = Math.floor(c / 2);
  const conv = c * c + c;
  const coupling = couplingNet(config, c - r, r) + couplingNet(config, r, c - r);
  const activation = c * (3 * config.activation.bins + 2);
  return { total: conv + coupling + activation, conv, coupling, activation };
}

/** Throws the config's shape problems (as createFlowModel would). */
export function countParameters(config: ModelConfig): ParameterCount {
  const plan = planModel(config);
  const sum: ParameterCount = { total: 0, conv: 0, coupling: 0, activation: 0 };
  const baseline = architectureOf(config).kind !== 'paper';
  for (const [l, level] of plan.levels.entries()) {
    for (const block of level.blocks) {
      const b = baseline
        ? baselineBlockParameterCount(config, block, level, l === plan.levels.length - 1)
        : blockParameterCount(config, block.outputShape[block.outputShape.length - 1]!);
      sum.total += b.total;
      sum.conv += b.conv;
      sum.coupling += b.coupling;
      sum.activation += b.activation;
    }
  }
  return sum;
}
