/** Sampling and latent-space commands (temperature sampler, Fig. 5 latent studio). */
import { z } from 'zod';
import { ImageRefSchema, PngSchema, RunRefSchema, SeedSchema, SupersedeSchema, TemperatureSchema } from '../common';

const LevelControlSchema = z
  .object({
    /** Keep the encoded latent of this level, or resample it. */
    keep: z.boolean(),
    /** Temperature of the resampled latent. */
    temperature: TemperatureSchema,
  })
  .strict();
export type LevelControl = z.infer<typeof LevelControlSchema>;

/** Images a `sample` preview answers with (at most; fewer when fewer were asked). */
export const PREVIEW_SAMPLES = 4;

export const sampleCommands = {
  sample: {
    args: z
      .object({
        run: RunRefSchema,
        n: z.number().int().min(1).max(256),
        temperature: TemperatureSchema,
        seed: SeedSchema,
        columns: z.number().int().min(1).max(32).optional(),
        /**
         * Answer the first few images only (PREVIEW_SAMPLES), fast: the same draws as the full
         * grid's first images, so a slider shows something at once and the full grid follows.
         */
        preview: z.boolean().default(false),
        supersede: SupersedeSchema.optional(),
      })
      .strict(),
    result: z
      .object({
        grid: PngSchema,
        /** Images in the grid (fewer than asked for a preview). */
        n: z.number().int(),
        temperature: z.number(),
        step: z.number().int(),
        /** Seconds spent sampling (decoding latents to images), PNG encoding excluded. */
        seconds: z.number().min(0),
      })
      .strict(),
  },
  /** Encode an image, keep or resample each level's latent, decode. */
  perturb: {
    args: z
      .object({
        run: RunRefSchema,
        image: ImageRefSchema,
        levels: z.array(LevelControlSchema).min(1).max(12),
        seed: SeedSchema,
        supersede: SupersedeSchema.optional(),
      })
      .strict(),
    result: z
      .object({ original: PngSchema, reconstruction: PngSchema, perturbed: PngSchema, reconstructionError: z.number() })
      .strict(),
  },
  /** Fig. 5: row 1 keeps the first k levels and resamples the rest; row 2 the reverse; k = 1..L. */
  perturbGrid: {
    args: z
      .object({ run: RunRefSchema, image: ImageRefSchema, temperature: TemperatureSchema, seed: SeedSchema, supersede: SupersedeSchema.optional() })
      .strict(),
    result: z
      .object({
        original: PngSchema,
        /** Every level kept: what the row "resample the first k" converges to as k → 0. */
        reconstruction: PngSchema,
        reconstructionError: z.number(),
        keepFirst: z.array(PngSchema),
        resampleFirst: z.array(PngSchema),
      })
      .strict(),
  },
  /** Linear interpolation between the latents of two images. */
  interpolate: {
    args: z
      .object({
        run: RunRefSchema,
        a: ImageRefSchema,
        b: ImageRefSchema,
        steps: z.number().int().min(2).max(32),
        supersede: SupersedeSchema.optional(),
      })
      .strict(),
    result: z.object({ frames: z.array(PngSchema) }).strict(),
  },
} as const;
