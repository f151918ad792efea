/** Training commands: start, control and inspect runs. */
import { z } from 'zod';
import { PathSchema, RunRefSchema } from '../common';
import { PresetNameSchema, RunConfigSchema, RunOverridesSchema, TrainConfigSchema } from '../../config';

const RunStateSchema = z.enum(['starting', 'running', 'paused', 'stopping', 'stopped', 'finished', 'failed']);
export type RunState = z.infer<typeof RunStateSchema>;

/** One layer of the flow as the diagnostics name it. */
const LayerDescriptorSchema = z
  .object({
    /** Stable name, e.g. `L1.B2.act`. */
    name: z.string(),
    level: z.number().int().min(0),
    block: z.number().int().min(0),
    /**
     * f_conv (and Glow's 1×1 convolution), f_aff (and the baselines' affine / additive
     * couplings), the Sec. 6.2 squash, f_act; the baselines' actnorm, channel permutation,
     * squeeze, learned split prior and rational-quadratic spline coupling.
     */
    kind: z.enum(['conv', 'aff', 'squash', 'act', 'actnorm', 'perm', 'squeeze', 'prior', 'spline']),
  })
  .strict();
export type LayerDescriptor = z.infer<typeof LayerDescriptorSchema>;

/** One line of `metrics.jsonl` and the payload of the `metrics` event. */
export const MetricsRecordSchema = z
  .object({
    step: z.number().int().min(0),
    /** Wall-clock time (ms since epoch). */
    time: z.number(),
    epoch: z.number().min(0).optional(),
    /** Images: bits per dimension. 2-D toys: negative log-likelihood in nats. */
    trainBpd: z.number().optional(),
    trainNll: z.number().optional(),
    testBpd: z.number().optional(),
    testNll: z.number().optional(),
    /**
     * With the Sec. 6.2 transport cost (weight λ > 0): the objective minimised, train NLL (bpd or
     * nats, as above) + λ·transportCost. trainBpd / trainNll stay the likelihood alone.
     */
    trainObjective: z.number().optional(),
    /** The unweighted L2 transport cost Σ_blocks ‖f_l(h) − h‖² (per dimension for images). */
    transportCost: z.number().optional(),
    lr: z.number().optional(),
    gradNorm: z.number().optional(),
    imagesPerSecond: z.number().optional(),
    /** Per layer (in `layers` order): mean log|det J| per example, in nats. */
    layerLogdet: z.array(z.number()).optional(),
    /** Per layer: variance of the layer's output over the batch and dimensions. */
    layerVariance: z.array(z.number()).optional(),
    /** Largest derivative of each activation layer (checks the paper's f' <= 1 claim). */
    activationMaxSlope: z.array(z.number()).optional(),
    /** Max |x - inverse(forward(x))| on a test batch. */
    invertibilityError: z.number().optional(),
    /** Per block: Lipschitz estimate (power iteration with JVPs). */
    lipschitz: z.array(z.number()).optional(),
    /** The Sec. 2.2 log-det blow-up detector's warning at this step (theory/blowup.ts). */
    blowupWarning: z.string().optional(),
    /** The step's loss or gradient was not finite: its update was skipped (train/trainer.ts guard). */
    skipped: z.boolean().optional(),
    /** The guard's factor on the scheduled learning rate, present once a rollback lowered it. */
    lrScale: z.number().positive().optional(),
    /** First record after a rollback: the step at which training diverged (resumed from this record's step − 1). */
    rolledBackFrom: z.number().int().min(0).optional(),
  })
  .strict();
export type MetricsRecord = z.infer<typeof MetricsRecordSchema>;

export const RunSummarySchema = z
  .object({
    runId: z.string(),
    runDir: z.string(),
    preset: PresetNameSchema,
    data: z.string(),
    state: RunStateSchema,
    step: z.number().int(),
    totalSteps: z.number().int(),
    backend: z.string(),
  })
  .strict();
export type RunSummary = z.infer<typeof RunSummarySchema>;

/** What a training run achieved, once it has ended (`waitForRun`). */
const TrainOutcomeSchema = z
  .object({
    steps: z.number().int().min(0),
    /** Training images (or points) per second, steps only (evaluation excluded). */
    imagesPerSecond: z.number().min(0),
    /** bits/dim for images, nats for 2-D toys. */
    unit: z.enum(['bpd', 'nats']),
    initialTest: z.number().nullable(),
    finalTest: z.number().nullable(),
    finalTrain: z.number().nullable(),
  })
  .strict();

const StartedRunSchema = z.object({ run: RunSummarySchema, layers: z.array(LayerDescriptorSchema), config: RunConfigSchema }).strict();

export const trainCommands = {
  startTraining: {
    args: z
      .object({
        preset: PresetNameSchema,
        overrides: RunOverridesSchema.default({}),
        /** Run folder; a fresh one under `runs/` when absent. */
        runDir: PathSchema.optional(),
        /**
         * Continue the run in `runDir` from its last checkpoint, as `resumeTraining` does, with
         * `preset` and `overrides` checked against its config.json (`train.steps` may extend).
         */
        resume: z.boolean().default(false),
      })
      .strict(),
    result: StartedRunSchema,
  },
  /**
   * Continues a run from its folder: everything comes from its config.json, and training
   * restarts exactly from the last checkpoint. `steps` sets the run's total length (to extend a
   * finished run). `expected` holds settings the caller believes the run has (CLI flags): any
   * that differ from config.json make the command fail, naming each difference.
   */
  resumeTraining: {
    args: z
      .object({
        runDir: PathSchema,
        steps: TrainConfigSchema.shape.steps.optional(),
        preset: PresetNameSchema.optional(),
        expected: RunOverridesSchema.optional(),
      })
      .strict(),
    result: StartedRunSchema,
  },
  /** Answers when a run of this engine has ended: its final summary and, unless it failed, its outcome. */
  waitForRun: {
    args: z.object({ runId: z.string().min(1).max(128) }).strict(),
    result: z
      .object({ run: RunSummarySchema, outcome: TrainOutcomeSchema.nullable(), message: z.string().max(16_384).optional() })
      .strict(),
  },
  controlTraining: {
    args: z.object({ runId: z.string().min(1).max(128), action: z.enum(['pause', 'resume', 'stop']) }).strict(),
    result: z.object({ run: RunSummarySchema }).strict(),
  },
  listRuns: {
    args: z.object({ root: PathSchema.optional() }).strict(),
    result: z.object({ active: z.array(RunSummarySchema), onDisk: z.array(RunSummarySchema) }).strict(),
  },
  /** A run's config, layers and (decimated) metric history: what the UI needs after a reload. */
  openRun: {
    args: z.object({ run: RunRefSchema, maxPoints: z.number().int().min(10).max(1_000_000).default(20_000) }).strict(),
    result: z
      .object({
        run: RunSummarySchema,
        config: RunConfigSchema,
        layers: z.array(LayerDescriptorSchema),
        metrics: z.array(MetricsRecordSchema),
      })
      .strict(),
  },
} as const;
