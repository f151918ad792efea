/**
 * The networks of the dual affine coupling (App. C), mapping the conditioning half to the
 * log-scale and shift of the other half:
 *  - `convnet`:   3×3 → ReLU → 1×1 → ReLU → 3×3 (output layer)              (CelebA-HQ);
 *  - `resnet-se`: 3×3 → ReLU → residual bottleneck [1×1 → 3×3 → 1×1, gated by
 *                 squeeze-excitation] → ReLU → 1×1 → ReLU → SE → 1×1 (output) (CIFAR / ImageNet);
 *  - `dense`:     MLP in → hidden → ReLU → hidden → ReLU → output         (2-D toys);
 *  - `resnet`:    1×1 → n residual blocks [ReLU → 3×3 → ReLU → 3×3] → ReLU → 1×1 (output):
 *                 nflows' ConvResidualNet, the conditioner of the NSF and RealNVP baselines.
 * The output layer is the "linear layer" of Eq. 15: it produces M values φ_m = w_m·ϕ + b_m per
 * scaled dimension (ϕ = the hidden features) and one shift t per dimension;
 * log s = mean_m g(φ_m). Its weights start at 0 (w_m = 0 as in the paper, and t's weights too),
 * its biases at b_m for the scales and 0 for t: at initialisation s = exp(logScaleInit)
 * exactly and t = 0, so the coupling is an elementwise scaling (blockwise initialisation).
 * Hidden layers: He-normal weights (seeded), zero biases. `unconstrained` (Sec. 6.2 ablation)
 * replaces the mixture by a free log-scale: log s = φ (one value per dimension, bias init
 * logScaleInit).
 * The bottleneck width is hidden/2 and the SE reduction `seReduction` (4 unless the config says;
 * the paper presets use 2): App. C gives neither (couplingWidths.ts, docs/flow.md "Presets").
 */
import type { CouplingNetwork } from '../../../../src-shared/config';
import { conv2d } from '../../ops/conv2d';
import { matMul } from '../../ops/matmul';
import { type Tensor, type Variable, tf } from '../../tf';
import { DEFAULT_RES_BLOCKS, bottleneckWidth, headOutputs, squeezeExcitationWidth } from '../couplingWidths';
import { mexicanHatTensor } from '../mexicanHat';
import { heNormal, makeVariable, mixSeed, nameHash } from '../variables';

export interface CouplingNetOptions {
  network: CouplingNetwork;
  inChannels: number;
  /** Number of dimensions (channels) to scale and shift. */
  outChannels: number;
  hidden: number;
  mixtures: number;
  /** `resnet-se`: squeeze-excitation reduction (default 4). */
  seReduction?: number;
  /** `resnet`: residual blocks (default 2). */
  resBlocks?: number;
  unconstrained: boolean;
  /** log s at initialisation (unconstrained nets). */
  logScaleInit: number;
  /** b_m at initialisation (constrained nets), length `mixtures`. */
  mexicanHatBiases: readonly number[];
  seed: number;
  variablePrefix: string;
}

export interface ScaleShift {
  logScale: Tensor;
  shift: Tensor;
}

/** A convolution (kernel ≥ 1, images) or a dense layer (kernel 0, vectors) with bias. */
class Linear {
  readonly weight: Variable;
  readonly bias: Variable;
  constructor(
    readonly kernel: number,
    inputs: number,
    outputs: number,
    name: string,
    /** `seed` must already identify this layer (the variable name holds the model instance). */
    init: { seed: number } | { zeroWeight: true; bias: Float32Array },
  ) {
    const shape = kernel === 0 ? [inputs, outputs] : [kernel, kernel, inputs, outputs];
    const fanIn = inputs * Math.max(1, kernel * kernel);
    this.weight = makeVariable(`${name}.w`, 'seed' in init ? heNormal(shape, fanIn, init.seed) : tf.zeros(shape));
    this.bias = makeVariable(`${name}.b`, 'seed' in init ? tf.zeros([outputs]) : tf.tensor1d(init.bias));
  }
  apply(x: Tensor): Tensor {
    const y = this.kernel === 0 ? matMul(x, this.weight) : conv2d(x, this.weight);
    return tf.add(y, this.bias);
  }
  get variables(): Variable[] {
    return [this.weight, this.bias];
  }
}

/** Squeeze-excitation gate (Hu et al. 2018): x·sigmoid(W2·relu(W1·mean_hw(x))). */
class SqueezeExcitation {
  private readonly reduce: Linear;
  private readonly expand: Linear;
  constructor(channels: number, reduction: number | undefined, name: string, seed: number) {
    const inner = squeezeExcitationWidth(channels, reduction);
    this.reduce = new Linear(0, channels, inner, `${name}.reduce`, { seed: mixSeed(seed, 1) });
    this.expand = new Linear(0, inner, channels, `${name}.expand`, { seed: mixSeed(seed, 2) });
  }
  apply(x: Tensor): Tensor {
    const pooled = tf.mean(x, [1, 2]);
    const gate = tf.sigmoid(this.expand.apply(tf.relu(this.reduce.apply(pooled))));
    const [n, , , c] = x.shape as [number, number, number, number];
    return tf.mul(x, tf.reshape(gate, [n, 1, 1, c]));
  }
  get variables(): Variable[] {
    return [...this.reduce.variables, ...this.expand.variables];
  }
}

type LayerFactory = (kernel: number, inputs: number, outputs: number, name: string) => Linear;

/** What a network builder gets: sizes, names, a factory for its seeded layers, the net's variable list. */
interface TrunkContext {
  inChannels: number;
  hidden: number;
  /** Squeeze-excitation reduction (resnet-se); undefined: the default. */
  seReduction: number | undefined;
  /** Residual blocks (resnet). */
  resBlocks: number;
  prefix: string;
  seed: number;
  layer: LayerFactory;
  /** Variables of layers made outside `layer` (the SE gates) are pushed here. */
  vars: Variable[];
}

/** The hidden features ϕ of a network and the kernel of its output layer (0: dense). */
interface Trunk {
  features: (x: Tensor) => Tensor;
  headKernel: number;
}

/** Every coupling network of App. C, by name: a new `CouplingNetwork` without a builder does not compile. */
const NETWORKS: Record<CouplingNetwork, (c: TrunkContext) => Trunk> = {
  dense: ({ inChannels, hidden, layer }) => {
    const l1 = layer(0, inChannels, hidden, 'fc1');
    const l2 = layer(0, hidden, hidden, 'fc2');
    return { features: (x) => tf.relu(l2.apply(tf.relu(l1.apply(x)))), headKernel: 0 };
  },
  convnet: ({ inChannels, hidden, layer }) => {
    const c1 = layer(3, inChannels, hidden, 'conv1');
    const c2 = layer(1, hidden, hidden, 'conv2');
    return { features: (x) => tf.relu(c2.apply(tf.relu(c1.apply(x)))), headKernel: 3 };
  },
  'resnet-se': ({ inChannels, hidden, seReduction, prefix, seed, layer, vars }) => {
    const b = bottleneckWidth(hidden);
    const stem = layer(3, inChannels, hidden, 'stem');
    const r1 = layer(1, hidden, b, 'res.conv1');
    const r2 = layer(3, b, b, 'res.conv2');
    const r3 = layer(1, b, hidden, 'res.conv3');
    const se1 = new SqueezeExcitation(hidden, seReduction, `${prefix}res.se`, mixSeed(seed, nameHash('res.se')));
    const mid = layer(1, hidden, hidden, 'conv4');
    const se2 = new SqueezeExcitation(hidden, seReduction, `${prefix}se`, mixSeed(seed, nameHash('se')));
    vars.push(...se1.variables, ...se2.variables);
    const features = (x: Tensor): Tensor => {
      const h0 = tf.relu(stem.apply(x));
      const residual = se1.apply(r3.apply(tf.relu(r2.apply(tf.relu(r1.apply(h0))))));
      const h1 = tf.relu(tf.add(h0, residual));
      return se2.apply(tf.relu(mid.apply(h1)));
    };
    return { features, headKernel: 1 };
  },
  resnet: ({ inChannels, hidden, resBlocks, layer }) => {
    const stem = layer(1, inChannels, hidden, 'stem');
    const blocks = Array.from({ length: resBlocks }, (_, i) => [layer(3, hidden, hidden, `res${i + 1}.conv1`), layer(3, hidden, hidden, `res${i + 1}.conv2`)] as const);
    const features = (x: Tensor): Tensor => {
      let h = stem.apply(x);
      for (const [c1, c2] of blocks) h = tf.add(h, c2.apply(tf.relu(c1.apply(tf.relu(h)))));
      return tf.relu(h);
    };
    return { features, headKernel: 1 };
  },
};

export interface ConditionerOptions {
  network: CouplingNetwork;
  inChannels: number;
  hidden: number;
  seReduction?: number;
  resBlocks?: number;
  /** Initial bias of the output layer, one per output channel (its weights start at 0). */
  headBias: Float32Array;
  seed: number;
  variablePrefix: string;
}

/** What a baseline coupling's options say about its network (the layer adds inputs and head). */
export interface CouplingNetChoice {
  network: CouplingNetwork;
  hidden: number;
  seReduction?: number;
  resBlocks?: number;
  seed: number;
  /** The layer's prefix: the network's variables are `${prefix}net.…`. */
  variablePrefix: string;
}

/** A network's trunk and a zero-weight output layer: the raw outputs of a baseline coupling (its bias at init). */
export class Conditioner {
  /** The conditioner of a coupling layer with options `o`, reading `inChannels`, its head starting at `headBias`. */
  static forCoupling(o: CouplingNetChoice, inChannels: number, headBias: Float32Array): Conditioner {
    return new Conditioner({
      network: o.network,
      inChannels,
      hidden: o.hidden,
      ...(o.seReduction !== undefined ? { seReduction: o.seReduction } : {}),
      ...(o.resBlocks !== undefined ? { resBlocks: o.resBlocks } : {}),
      headBias,
      seed: o.seed,
      variablePrefix: `${o.variablePrefix}net.`,
    });
  }

  readonly variables: readonly Variable[];
  readonly outputs: number;
  private readonly features: (x: Tensor) => Tensor;
  private readonly head: Linear;

  constructor(o: ConditionerOptions) {
    if (!Number.isInteger(o.hidden) || o.hidden < 1) throw new Error(`${o.variablePrefix}: hidden width must be a positive integer, got ${o.hidden}`);
    const vars: Variable[] = [];
    const layer: LayerFactory = (kernel, inputs, outputs, name) => {
      const a = new Linear(kernel, inputs, outputs, `${o.variablePrefix}${name}`, { seed: mixSeed(o.seed, nameHash(name)) });
      vars.push(...a.variables);
      return a;
    };
    const build = NETWORKS[o.network] as ((c: TrunkContext) => Trunk) | undefined;
    if (!build) throw new Error(`${o.variablePrefix}: unknown coupling network "${String(o.network)}" (expected ${Object.keys(NETWORKS).join(', ')})`);
    const trunk = build({ inChannels: o.inChannels, hidden: o.hidden, seReduction: o.seReduction, resBlocks: o.resBlocks ?? DEFAULT_RES_BLOCKS, prefix: o.variablePrefix, seed: o.seed, layer, vars });
    this.features = trunk.features;
    this.outputs = o.headBias.length;
    this.head = new Linear(trunk.headKernel, o.hidden, o.headBias.length, `${o.variablePrefix}out`, { zeroWeight: true, bias: o.headBias });
    vars.push(...this.head.variables);
    this.variables = vars;
  }

  /** Raw outputs [..., outputs] for the conditioning input [N, c] or [N, H, W, c]. */
  apply(x: Tensor): Tensor {
    return tf.tidy(() => this.head.apply(this.features(x)));
  }

  dispose(): void {
    for (const v of this.variables) v.dispose();
  }
}

export class CouplingNet {
  readonly variables: readonly Variable[];
  private readonly features: (x: Tensor) => Tensor;
  private readonly head: Linear;
  private readonly outChannels: number;
  private readonly mixtures: number;
  private readonly unconstrained: boolean;

  constructor(o: CouplingNetOptions) {
    if (!Number.isInteger(o.hidden) || o.hidden < 1) throw new Error(`${o.variablePrefix}: hidden width must be a positive integer, got ${o.hidden}`);
    if (!o.unconstrained && o.mexicanHatBiases.length !== o.mixtures) {
      throw new Error(`${o.variablePrefix}: ${o.mixtures} mixtures need ${o.mixtures} biases, got ${o.mexicanHatBiases.length}`);
    }
    this.outChannels = o.outChannels;
    this.mixtures = o.mixtures;
    this.unconstrained = o.unconstrained;
    const p = o.variablePrefix;
    const h = o.hidden;
    const vars: Variable[] = [];
    // Initial values depend on (seed, layer name inside the net), never on the model instance.
    const layer: LayerFactory = (kernel, inputs, outputs, name) => {
      const a = new Linear(kernel, inputs, outputs, `${p}${name}`, { seed: mixSeed(o.seed, nameHash(name)) });
      vars.push(...a.variables);
      return a;
    };
    const build = NETWORKS[o.network] as ((c: TrunkContext) => Trunk) | undefined;
    if (!build) throw new Error(`${p}: unknown coupling network "${String(o.network)}" (expected ${Object.keys(NETWORKS).join(', ')})`);
    const trunk = build({ inChannels: o.inChannels, hidden: h, seReduction: o.seReduction, resBlocks: o.resBlocks ?? DEFAULT_RES_BLOCKS, prefix: p, seed: o.seed, layer, vars });
    this.features = trunk.features;
    const headKernel = trunk.headKernel;
    const r = o.outChannels;
    const scaleOutputs = o.unconstrained ? r : o.mixtures * r;
    const bias = new Float32Array(headOutputs(r, o.mixtures, o.unconstrained));
    for (let i = 0; i < scaleOutputs; i++) bias[i] = o.unconstrained ? o.logScaleInit : o.mexicanHatBiases[Math.floor(i / r)]!;
    this.head = new Linear(headKernel, h, bias.length, `${p}out`, { zeroWeight: true, bias });
    vars.push(...this.head.variables);
    this.variables = vars;
  }

  /** log s and t for the conditioning input x ([N, c_in] or [N, H, W, c_in]). */
  apply(x: Tensor): ScaleShift {
    return tf.tidy(() => {
      const out = this.head.apply(this.features(x));
      const r = this.outChannels;
      const axis = out.rank - 1;
      const scaleOutputs = this.unconstrained ? r : this.mixtures * r;
      const [phi, shift] = tf.split(out, [scaleOutputs, r], axis);
      if (this.unconstrained) return { logScale: phi!, shift: shift! };
      // φ channel m·r + j is component m of dimension j.
      const lead = phi!.shape.slice(0, axis);
      const components = tf.reshape(phi!, [...lead, this.mixtures, r]);
      return { logScale: tf.mean(mexicanHatTensor(components), axis), shift: shift! };
    });
  }
}
