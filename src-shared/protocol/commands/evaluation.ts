/** Evaluation commands: a run's bpd / NLL on a split, and the numerical check of a preset's flow. */
import { z } from 'zod';
import { PresetNameSchema, RunOverridesSchema } from '../../config';
import { RunRefSchema, SeedSchema } from '../common';

export const evaluationCommands = {
  /** bits/dim (images) or NLL in nats (2-D toys) of a run's model on a split. */
  evaluate: {
    args: z
      .object({
        run: RunRefSchema,
        /** Data spec (default: the run's own); its shape and bits must match the model. */
        data: z.string().min(1).max(4096).optional(),
        split: z.enum(['train', 'test']).default('test'),
        /** Evaluate the first n examples only (default: the whole split). */
        n: z.number().int().min(1).optional(),
        batchSize: z.number().int().min(1).max(4096).optional(),
      })
      .strict(),
    result: z
      .object({
        runDir: z.string(),
        data: z.string(),
        split: z.enum(['train', 'test']),
        /** The step of the weights evaluated. */
        step: z.number().int().min(0),
        count: z.number().int().min(0),
        unit: z.enum(['bpd', 'nats']),
        mean: z.number(),
        standardError: z.number(),
        seconds: z.number().min(0),
      })
      .strict(),
  },
  /**
   * A preset's flow with parameters moved away from the initialisation: the round-trip error
   * max |x − f⁻¹(f(x))| at the full input size, and the model's log-det against log|det J| of
   * the autodiff Jacobian (on the smallest input the levels allow when d > maxJacobianDims).
   */
  check: {
    args: z
      .object({
        preset: PresetNameSchema,
        /** Model overrides on top of the preset (other fields are ignored). */
        overrides: RunOverridesSchema.default({}),
        seed: SeedSchema.default(0),
        /** Std of the Gaussian noise added to every parameter. */
        perturb: z.number().min(0).max(1).default(0.02),
        maxJacobianDims: z.number().int().min(2).max(4096).default(256),
      })
      .strict(),
    result: z
      .object({
        preset: PresetNameSchema,
        inputShape: z.array(z.number().int().positive()),
        perturbation: z.number(),
        invertibilityMaxAbsError: z.number(),
        logdetInputShape: z.array(z.number().int().positive()),
        logdetModel: z.number(),
        logdetAutodiff: z.number(),
        logdetMaxRelError: z.number(),
      })
      .strict(),
  },
} as const;
