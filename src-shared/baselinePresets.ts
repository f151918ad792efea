/**
 * Table 1's other systems as presets of the same engine (issue 14): Glow (Kingma & Dhariwal
 * 2018), RealNVP (Dinh et al. 2017) and RQ-NSF (C) (Durkan et al. 2019) on CIFAR-10 with the
 * bpd (and, where Table 1 gives one, the parameter count) the paper reports for them; Glow with
 * 256 hidden units as in the paper's Fig. 2; small Fashion-MNIST variants that train on this
 * machine; 2-D toy variants of every coupling type for the toy lab. test/unit/presets.test.ts
 * pins their structure and counts; docs/baselines.md gives each decision.
 *
 * Type-only imports from config.ts (config.ts → presets.ts → here: a value import back would
 * be a cycle).
 */
import type { Architecture, ModelConfig, PresetName, TrainConfig } from './config';
import { paperTrain, toyStructure } from './presetParts';
import type { Preset } from './presets';

type BaselineName = Extract<
  PresetName,
  'glow-cifar10' | 'glow-256' | 'realnvp-cifar10' | 'nsf-cifar10' | 'glow-fashion' | 'nsf-fashion' | 'realnvp-fashion' | 'toy2d-glow' | 'toy2d-additive' | 'toy2d-nsf' | 'toy2d-realnvp'
>;

/** Fields the baselines do not read (paper-only), kept valid for the shared schema. */
const unused = {
  activation: { bins: 16, variant: 'paper', tailBound: 1e5 },
  beta: 1,
  ablation: { afterCoupling: 'none', transportCost: 0, unconstrained: false },
} as const;

const GLOW: Architecture = { kind: 'glow', permutation: 'conv', coupling: 'affine', splitPrior: 'learned' };
const NSF: Architecture = { kind: 'glow', permutation: 'conv', coupling: 'spline', splitPrior: 'standard', bins: 8, tailBound: 3 };
const REALNVP: Architecture = { kind: 'realnvp' };

/**
 * Glow's optimiser is Adam at lr 0.001 with a warm-up; the engine trains with Adamax (one
 * optimiser for every preset), at Glow's rate, no decay (final = initial).
 */
const baselineTrain: TrainConfig = {
  ...paperTrain,
  batchSize: 64,
  learningRate: { initial: 0.001, final: 0.001, decaySteps: 1000, decayRate: 1, warmupSteps: 500 },
};

const image32 = (architecture: Architecture, rest: Omit<ModelConfig, 'architecture' | 'inputShape' | 'bits' | keyof typeof unused>): ModelConfig => ({
  architecture,
  inputShape: [32, 32, 3],
  bits: 8,
  ...unused,
  ...rest,
});

const glow32 = (hidden: number): ModelConfig =>
  image32(GLOW, { levels: 3, blocksPerLevel: 32, splitFraction: 0.5, firstConvKernel: 2, convKernel: 1, coupling: { network: 'convnet', hidden, mixtures: 1 } });

const fashion = (architecture: Architecture, rest: Pick<ModelConfig, 'blocksPerLevel' | 'coupling'>): ModelConfig => ({
  architecture,
  inputShape: [28, 28, 1],
  levels: 2,
  splitFraction: 0.5,
  firstConvKernel: 2,
  convKernel: 1,
  bits: 8,
  ...unused,
  ...rest,
});

const fashionTrain: TrainConfig = { ...baselineTrain, steps: 2000, evalEvery: 200, evalN: 1000, checkpointEvery: 200, learningRate: { ...baselineTrain.learningRate, warmupSteps: 100 } };

const toy = (architecture: Architecture): ModelConfig => ({
  architecture,
  ...toyStructure,
  coupling: { network: 'dense', hidden: 64, mixtures: 1 },
  bits: 8,
  ...unused,
});

const toyTrain: TrainConfig = {
  ...baselineTrain,
  batchSize: 256,
  steps: 1500,
  learningRate: { initial: 0.005, final: 0.001, decaySteps: 100, decayRate: 0.98, warmupSteps: 50 },
  evalEvery: 100,
  evalN: 2048,
  checkpointEvery: 500,
  memory: 'store',
};

const GLOW_SOURCE = 'Table 1, CIFAR-10 (Glow, Kingma & Dhariwal 2018)';

export const BASELINE_PRESETS: Readonly<Record<BaselineName, Preset>> = {
  'glow-cifar10': {
    name: 'glow-cifar10',
    description: 'Glow on CIFAR-10: 3 levels x 32 steps of actnorm -> 1x1 conv -> affine coupling (sigmoid(h+2)), learned split prior, hidden 512.',
    defaultData: 'cifar10:~/datasets/cifar-10-batches-bin',
    model: glow32(512),
    train: baselineTrain,
    paper: { source: GLOW_SOURCE, bpd: 3.35, parameters: 44.0e6 },
  },
  'glow-256': {
    name: 'glow-256',
    description: "Glow with 256 hidden units (the paper's Fig. 2): 3 levels x 32 steps, learned split prior.",
    defaultData: 'cifar10:~/datasets/cifar-10-batches-bin',
    model: glow32(256),
    train: baselineTrain,
  },
  'realnvp-cifar10': {
    name: 'realnvp-cifar10',
    description: 'RealNVP on CIFAR-10: one scale of 3 checkerboard, squeeze, 3 channel-wise couplings, then 4 checkerboard; tanh-bounded affine scales; ResNet 8 blocks x 64.',
    defaultData: 'cifar10:~/datasets/cifar-10-batches-bin',
    model: image32(REALNVP, { levels: 2, blocksPerLevel: 1, splitFraction: 0.5, firstConvKernel: 2, convKernel: 1, coupling: { network: 'resnet', hidden: 64, mixtures: 1, resBlocks: 8 } }),
    train: baselineTrain,
    paper: { source: 'Table 1, CIFAR-10 (RealNVP, Dinh et al. 2017)', bpd: 3.49, note: 'Table 1 and the RealNVP paper give no parameter count.' },
  },
  'nsf-cifar10': {
    name: 'nsf-cifar10',
    description: 'RQ-NSF (C) on CIFAR-10: Glow structure, 3 levels x 7 steps of actnorm -> 1x1 conv -> RQ spline coupling (K = 8, B = 3), ResNet 3 blocks x 96.',
    defaultData: 'cifar10:~/datasets/cifar-10-batches-bin',
    model: image32(NSF, { levels: 3, blocksPerLevel: 7, splitFraction: 0.5, firstConvKernel: 2, convKernel: 1, coupling: { network: 'resnet', hidden: 96, mixtures: 1, resBlocks: 3 } }),
    train: { ...baselineTrain, learningRate: { ...baselineTrain.learningRate, initial: 5e-4, final: 5e-4 } },
    paper: { source: 'Table 1, CIFAR-10 (RQ-NSF (C), Durkan et al. 2019)', bpd: 3.38, parameters: 11.8e6 },
  },
  'glow-fashion': {
    name: 'glow-fashion',
    description: 'Glow on Fashion-MNIST, small: 2 levels x 4 steps (actnorm -> 1x1 conv -> affine coupling), learned split prior, ConvNet hidden 64.',
    defaultData: 'fashion-mnist:/usr/share/datasets/fashion-mnist',
    model: fashion(GLOW, { blocksPerLevel: 4, coupling: { network: 'convnet', hidden: 64, mixtures: 1 } }),
    train: fashionTrain,
  },
  'nsf-fashion': {
    name: 'nsf-fashion',
    description: 'RQ-NSF (C) on Fashion-MNIST, small: 2 levels x 4 steps (actnorm -> 1x1 conv -> RQ spline coupling, K = 8, B = 3), ResNet 1 block x 32.',
    defaultData: 'fashion-mnist:/usr/share/datasets/fashion-mnist',
    model: fashion(NSF, { blocksPerLevel: 4, coupling: { network: 'resnet', hidden: 32, mixtures: 1, resBlocks: 1 } }),
    train: fashionTrain,
  },
  'realnvp-fashion': {
    name: 'realnvp-fashion',
    description: 'RealNVP on Fashion-MNIST, small: one scale (3 checkerboard, squeeze, 3 channel-wise) then 4 checkerboard couplings, ResNet 2 blocks x 32.',
    defaultData: 'fashion-mnist:/usr/share/datasets/fashion-mnist',
    model: fashion(REALNVP, { blocksPerLevel: 1, coupling: { network: 'resnet', hidden: 32, mixtures: 1, resBlocks: 2 } }),
    train: fashionTrain,
  },
  'toy2d-glow': { name: 'toy2d-glow', description: '2-D toys, Glow steps: 8 x (actnorm -> 2x2 invertible linear map -> affine coupling).', defaultData: 'toy:two-moons', model: toy(GLOW), train: toyTrain },
  'toy2d-additive': {
    name: 'toy2d-additive',
    description: '2-D toys, NICE-style: 8 x (actnorm -> reverse -> additive coupling).',
    defaultData: 'toy:two-moons',
    model: toy({ kind: 'glow', permutation: 'reverse', coupling: 'additive', splitPrior: 'standard' }),
    train: toyTrain,
  },
  'toy2d-nsf': {
    name: 'toy2d-nsf',
    description: '2-D toys, RQ-NSF: 8 x (actnorm -> 2x2 invertible linear map -> RQ spline coupling, K = 8, B = 4).',
    defaultData: 'toy:two-moons',
    model: toy({ ...NSF, tailBound: 4 }),
    train: toyTrain,
  },
  'toy2d-realnvp': { name: 'toy2d-realnvp', description: '2-D toys, RealNVP: 8 x two alternating affine couplings with tanh-bounded scales.', defaultData: 'toy:two-moons', model: toy(REALNVP), train: toyTrain },
};
