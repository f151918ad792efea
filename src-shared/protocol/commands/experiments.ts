/** Experiment commands: the Sec. 6.2 ablation (Fig. 4). */
import { z } from 'zod';
import { PresetNameSchema, RunOverridesSchema, TrainConfigSchema } from '../../config';
import { PathSchema, SeedSchema } from '../common';

const AblationVariantOutcomeSchema = z
  .object({
    name: z.string(),
    status: z.enum(['finished', 'collapsed']),
    /** Why it stopped, when it collapsed. */
    failure: z.string().optional(),
    lastStep: z.number().int().min(0),
    finalTrain: z.number().nullable(),
    finalTest: z.number().nullable(),
    runDir: z.string(),
  })
  .strict();

export const experimentCommands = {
  /**
   * Trains the same model, data and seed five ways (baseline, tanh, normal CDF, L2 transport
   * cost, unconstrained), one run folder each in `outDir`, and writes `ablation.md` with
   * nll.png and variance.png. Progress events per variant; answers when every variant ended.
   */
  ablate: {
    args: z
      .object({
        data: z.string().min(1).max(4096),
        steps: TrainConfigSchema.shape.steps.min(1),
        /** A fresh folder (default: ablation-<time> in the runs folder). */
        outDir: PathSchema.optional(),
        seed: SeedSchema.default(0),
        /** Model preset (default from the data format). */
        preset: PresetNameSchema.optional(),
        batchSize: TrainConfigSchema.shape.batchSize.optional(),
        evalN: TrainConfigSchema.shape.evalN.optional(),
        /** Weight of the L2 transport cost variant. */
        transportWeight: z.number().positive().max(1e6).optional(),
        /** A subset of the variants, by name. */
        only: z.array(z.string().min(1).max(64)).min(1).max(16).optional(),
        /** Model overrides applied to every variant (the ablation fields are the variants' own). */
        model: RunOverridesSchema.shape.model.unwrap().omit({ ablation: true }).optional(),
      })
      .strict(),
    result: z
      .object({
        reportPath: z.string(),
        nllPlot: z.string(),
        variancePlot: z.string(),
        unit: z.enum(['bpd', 'nats']),
        variants: z.array(AblationVariantOutcomeSchema),
      })
      .strict(),
  },
} as const;

