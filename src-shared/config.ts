/**
 * Model and training configuration: one runtime schema and the TypeScript types derived from
 * it, shared by the engine, the CLI and the UI so that a run folder's `config.json` means the
 * same thing everywhere. The presets themselves live in presets.ts (re-exported here).
 */
import { z } from 'zod';
import { lossUnit } from './lossUnit';
import { PRESETS } from './presets';

export { PRESETS, type Preset, type PaperReference } from './presets';

/**
 * Coupling network families of App. C, a dense MLP for 2-D toys, and `resnet` (nflows'
 * ConvResidualNet: 1×1 → residual 3×3 pairs → 1×1), the conditioner of the NSF / RealNVP baselines.
 */
export const CouplingNetworkSchema = z.enum(['resnet-se', 'convnet', 'dense', 'resnet']);
export type CouplingNetwork = z.infer<typeof CouplingNetworkSchema>;

/**
 * `paper`: App. C parameterisation (bin slopes and knot derivatives in (0, 1)); its true
 * maximum derivative can exceed 1 (see docs/activation.md). `strict`: knot derivatives
 * constrained so that f' <= 1 everywhere.
 */
export const ActivationVariantSchema = z.enum(['paper', 'strict']);
export type ActivationVariant = z.infer<typeof ActivationVariantSchema>;

/** Sec. 6.2 ablation: a bounded squashing inserted after the affine coupling. */
export const AfterCouplingSchema = z.enum(['none', 'tanh', 'normal-cdf']);
export type AfterCoupling = z.infer<typeof AfterCouplingSchema>;

/** f_conv weight: W = L(U + diag e^s), or W = exp(A)·(U + diag e^s) with A skew (docs/flow.md). */
export const ConvWeightSchema = z.enum(['lu', 'exp-qr']);
export type ConvWeight = z.infer<typeof ConvWeightSchema>;

/**
 * The flow a model is built from (flow/architecture.ts):
 *  - `paper` (default when absent): Liao & He's block f_act ∘ [squash] ∘ f_aff ∘ f_conv;
 *  - `glow`: Glow's step actnorm → permutation (`conv`: invertible 1×1 convolution; `reverse`;
 *    `shuffle`: a fixed random one) → coupling (`affine` with scale sigmoid(h + 2), `additive`,
 *    or `spline`: the rational-quadratic coupling of Neural Spline Flows, K = `bins` on
 *    [−`tailBound`, `tailBound`]); each level opens with a squeeze by `firstConvKernel` and
 *    (`splitPrior: learned`) ends with Glow's conditional Gaussian prior on the split-off half;
 *  - `realnvp`: RealNVP's scales: 3 checkerboard couplings, a squeeze, 3 channel-wise ones (the
 *    last level: 4 checkerboard couplings, no squeeze), affine with tanh-bounded scales; vector
 *    inputs get two alternating channel-wise couplings per block.
 * The baselines use `coupling.network` / `hidden` (and `resBlocks`) for their conditioners; the
 * paper-only fields (activation, beta, mixtures) are ignored by them.
 */
export const ArchitectureSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('paper') }).strict(),
  z
    .object({
      kind: z.literal('glow'),
      permutation: z.enum(['conv', 'reverse', 'shuffle']),
      coupling: z.enum(['affine', 'additive', 'spline']),
      splitPrior: z.enum(['learned', 'standard']),
      /** Spline couplings: bins K (default 8) and tail bound B (default 3), Durkan et al.'s CIFAR-10 values. */
      bins: z.number().int().min(2).max(64).optional(),
      tailBound: z.number().positive().max(1e4).optional(),
    })
    .strict(),
  z.object({ kind: z.literal('realnvp') }).strict(),
]);
export type Architecture = z.infer<typeof ArchitectureSchema>;

/** The architecture of a model config (`paper` when the field is absent: configs written before it). */
export function architectureOf(model: { architecture?: Architecture | undefined }): Architecture {
  return model.architecture ?? { kind: 'paper' };
}

/** Kernel (squeeze factor) of a block: RealNVP's last level does not squeeze. */
export function blockKernel(model: ModelConfig, level: number, block: number): number {
  if (architectureOf(model).kind === 'realnvp' && level === model.levels - 1) return 1;
  return block === 0 ? model.firstConvKernel : model.convKernel;
}

export const ModelConfigSchema = z
  .object({
    /** The flow built (absent: `paper`). */
    architecture: ArchitectureSchema.optional(),
    /** Input shape: [height, width, channels] for images, [2] for 2-D toys. */
    inputShape: z.array(z.number().int().positive()).min(1).max(3),
    /** Number of multi-scale levels L. */
    levels: z.number().int().min(1).max(12),
    /** Blocks per level B. */
    blocksPerLevel: z.number().int().min(1).max(64),
    /** Fraction of the current dimensions factored out after each level except the last. */
    splitFraction: z.number().gt(0).lt(1),
    /** Kernel size (and stride) of the invertible convolution opening each level. */
    firstConvKernel: z.number().int().min(1).max(8),
    /** Kernel size of the invertible convolution in the other blocks of a level. */
    convKernel: z.number().int().min(1).max(8),
    /**
     * Parameterisation of f_conv's weight: `lu` (default when absent) reaches the matrices whose
     * leading principal minors are all positive; `exp-qr` all of det > 0 (docs/flow.md).
     */
    convWeight: ConvWeightSchema.optional(),
    coupling: z
      .object({
        network: CouplingNetworkSchema,
        hidden: z.number().int().min(1).max(4096),
        /** Number M of Mexican-hat activations in the scale mixture (Eq. 15). */
        mixtures: z.number().int().min(1).max(64),
        /**
         * `resnet-se` only: reduction of its squeeze-excitation gates (hidden → hidden/r →
         * hidden). App. C gives none; absent means 4 (run folders written before this field).
         * The paper presets use 2, the value their parameter counts imply (docs/flow.md).
         */
        seReduction: z.number().int().min(1).max(64).optional(),
        /** `resnet` only: residual blocks (default 2). */
        resBlocks: z.number().int().min(1).max(32).optional(),
      })
      .strict(),
    activation: z
      .object({
        bins: z.number().int().min(2).max(64),
        variant: ActivationVariantSchema,
        /** Far boundary of the two tail bins (App. C: "a relative large number"). */
        tailBound: z.number().positive(),
      })
      .strict(),
    /** Blockwise volume-preserving initialisation slope beta in (0, 1] (Eq. 18). */
    beta: z.number().gt(0).max(1),
    /** Bits per channel of the data (8, or 5 for CelebA-HQ as in Glow). */
    bits: z.number().int().min(1).max(16),
    ablation: z
      .object({
        afterCoupling: AfterCouplingSchema,
        /** Weight of the L2 transport cost on f_act's output; 0 disables it. */
        transportCost: z.number().min(0),
        /** Remove the constraints (free scales and unconstrained activation). */
        unconstrained: z.boolean(),
      })
      .strict(),
  })
  .strict();
export type ModelConfig = z.infer<typeof ModelConfigSchema>;

/**
 * How a training step gets its gradients (docs/memory.md): `store` keeps every activation for
 * backprop (plain autodiff: memory grows with depth); `recompute` keeps only the latents and
 * rebuilds each block's input from its output with the block's exact inverse during the
 * backward pass (memory flat in depth, one extra inverse and forward per block).
 */
export const MemoryModeSchema = z.enum(['recompute', 'store']);
export type MemoryMode = z.infer<typeof MemoryModeSchema>;

/** The mode a config without `train.memory` uses: `recompute` for images, `store` for vectors (2-D toys). */
export function defaultMemoryMode(model: ModelConfig): MemoryMode {
  return lossUnit(model) === 'nats' ? 'store' : 'recompute';
}

/** The memory mode a run uses: its own, else the default for its model. */
export function memoryModeOf(config: { model: ModelConfig; train: { memory?: MemoryMode | undefined } }): MemoryMode {
  return config.train.memory ?? defaultMemoryMode(config.model);
}

export const DEFAULT_CHECKPOINT_SECONDS = 120;

/** Seconds between time-based checkpoints of a run (default 120). */
export function checkpointSecondsOf(train: { checkpointSeconds?: number | undefined }): number {
  return train.checkpointSeconds ?? DEFAULT_CHECKPOINT_SECONDS;
}

/** The numerical guard's settings of a run, defaults filled in. */
export function guardOf(train: { maxNonFiniteSteps?: number | undefined; rollbackLrFactor?: number | undefined; maxRollbacks?: number | undefined }): {
  maxNonFiniteSteps: number;
  rollbackLrFactor: number;
  maxRollbacks: number;
} {
  return { maxNonFiniteSteps: train.maxNonFiniteSteps ?? 10, rollbackLrFactor: train.rollbackLrFactor ?? 0.5, maxRollbacks: train.maxRollbacks ?? 3 };
}

export const TrainConfigSchema = z
  .object({
    batchSize: z.number().int().min(1).max(65536),
    /** Total optimisation steps of the run. */
    steps: z.number().int().min(0).max(100_000_000),
    learningRate: z
      .object({
        initial: z.number().positive(),
        /** Floor of the exponential decay. */
        final: z.number().positive(),
        decaySteps: z.number().int().positive(),
        decayRate: z.number().gt(0).max(1),
        /**
         * Linear warm-up from 0 over this many steps (0: none). Not in the paper's App. C: at
         * lr 0.01 from the first step Adamax moves every weight by 0.01 at once and the
         * unbounded shifts t of the couplings blow the loss up within two steps (measured on
         * fashion-mnist-small: 9.4 → 1519 bpd); a warm-up keeps the paper's rates after it.
         */
        warmupSteps: z.number().int().min(0).default(0),
      })
      .strict(),
    adamax: z
      .object({ beta1: z.number().min(0).lt(1), beta2: z.number().min(0).lt(1), epsilon: z.number().positive() })
      .strict(),
    seed: z.number().int().min(0).max(2 ** 31 - 1),
    /** Evaluate test bpd every N steps (0: only at the start and the end). */
    evalEvery: z.number().int().min(0),
    /** Number of test examples used by each evaluation. */
    evalN: z.number().int().min(1),
    checkpointEvery: z.number().int().min(0),
    /**
     * Also checkpoint when this many seconds passed since the last one (0: steps only).
     * Optional so run folders written before it parse unchanged: `checkpointSecondsOf`.
     */
    checkpointSeconds: z.number().min(0).max(1e7).optional(),
    /**
     * Numerical guard (docs/reliability.md), all optional with defaults in `guardOf`: after
     * `maxNonFiniteSteps` skipped steps in a row the run rolls back to its last checkpoint with
     * the learning rate × `rollbackLrFactor`, at most `maxRollbacks` times, then fails.
     */
    maxNonFiniteSteps: z.number().int().min(1).max(1_000_000).optional(),
    rollbackLrFactor: z.number().gt(0).lt(1).optional(),
    maxRollbacks: z.number().int().min(0).max(100).optional(),
    /** Per-layer diagnostics (log-det, variance) every N steps. */
    diagnosticsEvery: z.number().int().min(1),
    /**
     * Gradient memory mode. Optional with no schema default (run folders written before it parse
     * unchanged, and a partial override must not reset a preset's choice): `memoryModeOf`.
     */
    memory: MemoryModeSchema.optional(),
  })
  .strict();
export type TrainConfig = z.infer<typeof TrainConfigSchema>;

export const PresetNameSchema = z.enum([
  // The paper's Table 1 rows and the small presets of this machine class (presets.ts).
  'paper-cifar10', 'paper-imagenet32', 'paper-celebahq1024', 'fashion-mnist-small', 'toy2d',
  // Table 1's other systems and their small and toy variants (baselinePresets.ts).
  'glow-cifar10', 'glow-256', 'realnvp-cifar10', 'nsf-cifar10', 'glow-fashion', 'nsf-fashion',
  'realnvp-fashion', 'toy2d-glow', 'toy2d-additive', 'toy2d-nsf', 'toy2d-realnvp',
]);
export type PresetName = z.infer<typeof PresetNameSchema>;

export const RunConfigSchema = z
  .object({
    preset: PresetNameSchema,
    /** Data spec, e.g. `fashion-mnist:/usr/share/datasets/fashion-mnist` (see dataSpec.ts). */
    data: z.string().min(1).max(4096),
    model: ModelConfigSchema,
    train: TrainConfigSchema,
  })
  .strict();
export type RunConfig = z.infer<typeof RunConfigSchema>;

/**
 * `schema.partial()` with every field's schema default dropped: an override that leaves a field
 * out must leave the preset's value, not put the schema's default in its place (zod's partial
 * keeps `.default()`, so `{learningRate: {initial}}` would reset a preset's warm-up to 0).
 */
function overridable<Shape extends z.ZodRawShape>(schema: z.ZodObject<Shape>) {
  const shape: Record<string, z.ZodType> = {};
  for (const [key, field] of Object.entries(schema.shape)) {
    shape[key] = field instanceof z.ZodDefault ? (field.unwrap() as z.ZodType) : (field as z.ZodType);
  }
  return z.object(shape).partial() as unknown as ReturnType<z.ZodObject<Shape>['partial']>;
}

/** Deep-partial overrides a user may apply on top of a preset (UI form, CLI flags). */
export const RunOverridesSchema = z
  .object({
    data: z.string().min(1).max(4096).optional(),
    model: overridable(ModelConfigSchema)
      .extend({
        coupling: overridable(ModelConfigSchema.shape.coupling).strict().optional(),
        activation: overridable(ModelConfigSchema.shape.activation).strict().optional(),
        ablation: overridable(ModelConfigSchema.shape.ablation).strict().optional(),
      })
      .strict()
      .optional(),
    train: overridable(TrainConfigSchema)
      .extend({
        learningRate: overridable(TrainConfigSchema.shape.learningRate).strict().optional(),
        adamax: overridable(TrainConfigSchema.shape.adamax).strict().optional(),
      })
      .strict()
      .optional(),
  })
  .strict();
export type RunOverrides = z.infer<typeof RunOverridesSchema>;

/** Builds a full run config from a preset and overrides, then validates it. */
export function resolveRunConfig(preset: PresetName, overrides: RunOverrides = {}): RunConfig {
  const base = PRESETS[preset];
  const m = overrides.model ?? {};
  const t = overrides.train ?? {};
  const config = {
    preset,
    data: overrides.data ?? base.defaultData,
    model: {
      ...base.model,
      ...m,
      coupling: { ...base.model.coupling, ...m.coupling },
      activation: { ...base.model.activation, ...m.activation },
      ablation: { ...base.model.ablation, ...m.ablation },
    },
    train: {
      ...base.train,
      ...t,
      learningRate: { ...base.train.learningRate, ...t.learningRate },
      adamax: { ...base.train.adamax, ...t.adamax },
    },
  };
  const parsed = RunConfigSchema.parse(config);
  const problems = checkModelShape(parsed.model);
  if (problems.length > 0) throw new Error(`impossible model config: ${problems.join('; ')}`);
  return parsed;
}

/**
 * Checks the shape arithmetic of the multi-scale architecture: every level's opening
 * convolution must divide the spatial size, and every split must leave whole channels.
 * Returns human-readable problems (empty when the config is consistent).
 */
export function checkModelShape(model: ModelConfig): string[] {
  const problems: string[] = [];
  const kind = architectureOf(model).kind;
  if (kind !== 'paper') {
    const a = model.ablation;
    if (a.afterCoupling !== 'none' || a.transportCost !== 0 || a.unconstrained) problems.push(`the Sec. 6.2 ablation applies to the paper's flow only, not to the ${kind} architecture`);
  }
  if (lossUnit(model) === 'nats') {
    if (model.coupling.network !== 'dense') problems.push('vector inputs need the dense coupling network');
    if (model.firstConvKernel !== 1 || model.convKernel !== 1) problems.push('vector inputs need convolution kernel 1');
    if (model.inputShape[0]! < 2) problems.push('vector inputs need at least 2 dimensions for a coupling split');
    return problems;
  }
  if (model.inputShape.length !== 3) {
    problems.push(`inputShape must be [height, width, channels] or [dims], got [${model.inputShape.join(', ')}]`);
    return problems;
  }
  if (model.coupling.network === 'dense') problems.push('image inputs need a convolutional coupling network');
  let [h, w, c] = model.inputShape as [number, number, number];
  for (let level = 0; level < model.levels; level++) {
    for (let block = 0; block < model.blocksPerLevel; block++) {
      const k = blockKernel(model, level, block);
      if (h % k !== 0 || w % k !== 0) {
        problems.push(`level ${level + 1} block ${block + 1}: ${h}x${w} is not divisible by kernel ${k}`);
        return problems;
      }
      h /= k;
      w /= k;
      c *= k * k;
    }
    if (c < 2) problems.push(`level ${level + 1}: ${c} channel(s) cannot be split by a coupling layer`);
    if (level < model.levels - 1) {
      const out = c * model.splitFraction;
      if (!Number.isInteger(out) || out <= 0 || out >= c) {
        problems.push(`level ${level + 1}: split fraction ${model.splitFraction} of ${c} channels is not a whole number`);
        return problems;
      }
      c -= out;
    }
  }
  return problems;
}
