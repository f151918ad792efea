/** Dataset commands: what a data spec holds, and single images from it. */
import { z } from 'zod';
import { PngSchema } from '../common';

const DatasetInfoSchema = z
  .object({
    name: z.string(),
    spec: z.string(),
    format: z.string(),
    trainCount: z.number().int().min(0),
    testCount: z.number().int().min(0),
    /** [height, width, channels] for images, [2] for 2-D toys. */
    shape: z.array(z.number().int().positive()),
    bits: z.number().int(),
    /** Warnings from the scan (skipped files and why). */
    warnings: z.array(z.string()),
    examples: z.array(z.object({ index: z.number().int(), label: z.number().int().optional(), png: PngSchema }).strict()),
    /** 2-D toys only: a sample of points, flattened [x0, y0, x1, y1, ...]. */
    points: z.array(z.number()).optional(),
  })
  .strict();
export type DatasetInfo = z.infer<typeof DatasetInfoSchema>;

export const dataCommands = {
  datasetInfo: {
    args: z
      .object({ data: z.string().min(1).max(4096), examples: z.number().int().min(0).max(64).default(8) })
      .strict(),
    result: DatasetInfoSchema,
  },
  datasetImage: {
    args: z
      .object({ data: z.string().min(1).max(4096), split: z.enum(['train', 'test']), index: z.number().int().min(0) })
      .strict(),
    result: z.object({ png: PngSchema, label: z.number().int().optional() }).strict(),
  },
} as const;
