/**
 * The presets: the Table 1 configurations of the paper (Liao & He, App. C) and two small ones
 * for this machine class. Every structural value of a paper preset is pinned by
 * test/unit/presets.test.ts, with its parameter count against Table 1; docs/flow.md
 * ("Presets") gives each decision and the measurement behind it.
 *
 * Type-only imports from config.ts: config.ts imports PRESETS from here (for
 * resolveRunConfig), so a value import back would be a cycle.
 */
import type { ModelConfig, PresetName, TrainConfig } from './config';
import { BASELINE_PRESETS } from './baselinePresets';
import { paperTrain, toyStructure } from './presetParts';

/** What the paper reports for the configuration a preset reproduces. */
export interface PaperReference {
  /** Where the numbers come from, e.g. "Table 1, CIFAR-10". */
  source: string;
  /** Test bits per dimension reported in Table 1. */
  bpd: number;
  /** Parameter count in Table 1 (brackets); absent where the table gives none. */
  parameters?: number;
  /** Why the preset's count differs from the published one, or why none is published. */
  note?: string;
}

export interface Preset {
  name: PresetName;
  description: string;
  /** The data spec the preset was made for (a default the user overrides). */
  defaultData: string;
  model: ModelConfig;
  train: TrainConfig;
  /** Present for the presets that reproduce a row of Table 1. */
  paper?: PaperReference;
}

const noAblation = { afterCoupling: 'none', transportCost: 0, unconstrained: false } as const;
const paperActivation = { bins: 16, variant: 'paper', tailBound: 1e5 } as const;
/** The paper's building block as every preset of ours uses it: App. C's activation, β = 0.8 (Eq. 18), no ablation. */
const paperBlock = { activation: paperActivation, beta: 0.8, ablation: noAblation } as const;

/**
 * App. C for the 32×32 datasets (CIFAR-10 and ImageNet 32 share the architecture): 3 levels ×
 * 16 blocks, half the dimensions out per level, ResNet-SE couplings with 128 hidden units.
 * M = 4 and SE reduction 2 are not in the paper: with them the model has 12.45M parameters
 * against Table 1's 12.6M (−1.2 %; with reduction 4 it had 10.87M, −13.7 %).
 */
const paper32Model: ModelConfig = {
  inputShape: [32, 32, 3],
  levels: 3,
  blocksPerLevel: 16,
  splitFraction: 0.5,
  firstConvKernel: 2,
  convKernel: 1,
  coupling: { network: 'resnet-se', hidden: 128, mixtures: 4, seReduction: 2 },
  ...paperBlock,
  bits: 8,
};

export const PRESETS: Readonly<Record<PresetName, Preset>> = {
  'paper-cifar10': {
    name: 'paper-cifar10',
    description: 'Table 1, CIFAR-10: 3 levels x 16 blocks, split 1/2, ResNet-SE coupling, hidden 128, batch 1024.',
    defaultData: 'cifar10:~/datasets/cifar-10-batches-bin',
    model: paper32Model,
    train: paperTrain,
    paper: { source: 'Table 1, CIFAR-10', bpd: 3.37, parameters: 12.6e6 },
  },
  'paper-imagenet32': {
    name: 'paper-imagenet32',
    description: 'Table 1, ImageNet 32x32: 3 levels x 16 blocks, split 1/2, ResNet-SE coupling, hidden 128, batch 1024.',
    defaultData: 'imagenet32:~/datasets/imagenet32',
    model: paper32Model,
    train: paperTrain,
    // Table 1 gives no count for ImageNet 32; App. C gives it the CIFAR-10 architecture.
    paper: { source: 'Table 1, ImageNet 32x32', bpd: 4.03 },
  },
  'paper-celebahq1024': {
    name: 'paper-celebahq1024',
    description: 'Table 1, CelebA-HQ 1024, 5-bit: 8 levels x 12 blocks, split 3/4, ConvNet coupling, hidden 256, M = 2, batch 4.',
    defaultData: 'folder:~/datasets/celeba-hq-1024?size=1024&bits=5',
    model: {
      inputShape: [1024, 1024, 3],
      levels: 8,
      blocksPerLevel: 12,
      splitFraction: 0.75,
      firstConvKernel: 2,
      convKernel: 1,
      // M = 2: the ConvNet of App. C has no other free choice, and M = 2 gives 23.37M
      // parameters against Table 1's 23.3M (M = 4: 28.7M).
      coupling: { network: 'convnet', hidden: 256, mixtures: 2 },
      ...paperBlock,
      bits: 5,
    },
    train: { ...paperTrain, batchSize: 4, evalN: 256 },
    paper: { source: 'Table 1, CelebA-HQ 1024', bpd: 0.64, parameters: 23.3e6 },
  },
  'fashion-mnist-small': {
    name: 'fashion-mnist-small',
    description: 'Fashion-MNIST 28x28x1: 2 levels x 4 blocks, k=2 conv opening each level, split 1/2, ConvNet hidden 64.',
    defaultData: 'fashion-mnist:/usr/share/datasets/fashion-mnist',
    model: {
      inputShape: [28, 28, 1],
      levels: 2,
      blocksPerLevel: 4,
      splitFraction: 0.5,
      firstConvKernel: 2,
      convKernel: 1,
      coupling: { network: 'convnet', hidden: 64, mixtures: 4 },
      ...paperBlock,
      bits: 8,
    },
    train: {
      ...paperTrain,
      batchSize: 64,
      steps: 2000,
      evalEvery: 200,
      evalN: 1000,
      checkpointEvery: 200,
      // Plain autodiff: ~0.78 GiB at batch 64 (docs/memory.md), and the step takes 0.72–0.77 of
      // recompute's time (bench/memoryModes.ts, interleaved, bench/RESULTS.md); recomputation
      // is for the paper presets, whose tapes do not fit.
      memory: 'store',
    },
  },
  toy2d: {
    name: 'toy2d',
    description: '2-D toy densities (Fig. 3 / 7): 1 level x 8 blocks of the same building block with dense coupling.',
    defaultData: 'toy:two-moons',
    model: {
      ...toyStructure,
      coupling: { network: 'dense', hidden: 64, mixtures: 4 },
      ...paperBlock,
      bits: 8,
    },
    train: {
      ...paperTrain,
      batchSize: 256,
      steps: 1500,
      learningRate: { initial: 0.01, final: 0.001, decaySteps: 100, decayRate: 0.98, warmupSteps: 0 },
      evalEvery: 100,
      evalN: 2048,
      checkpointEvery: 500,
      // 8 dense blocks on 2-D points: activations are tiny, recomputation would only cost time.
      memory: 'store',
    },
  },
  ...BASELINE_PRESETS,
};
