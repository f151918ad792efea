/** Small schemas reused by several protocol domains. */
import { z } from 'zod';

/** A PNG image, base64-encoded (no data-URL prefix), with its pixel size. */
export const PngSchema = z
  .object({
    base64: z.string().max(48 * 1024 * 1024),
    width: z.number().int().positive(),
    height: z.number().int().positive(),
  })
  .strict();
export type Png = z.infer<typeof PngSchema>;

/** A filesystem path as typed by the user (absolute or relative to the engine's cwd). */
export const PathSchema = z.string().min(1).max(4096);

/** Identifies a training run: the id the engine gave it, or its folder on disk. */
export const RunRefSchema = z.union([
  z.object({ runId: z.string().min(1).max(128) }).strict(),
  z.object({ runDir: PathSchema }).strict(),
]);
export type RunRef = z.infer<typeof RunRefSchema>;

/** An image to encode: one from a dataset split (by default the run's own dataset), or a file. */
export const ImageRefSchema = z.union([
  z
    .object({ data: z.string().min(1).max(4096), split: z.enum(['train', 'test']), index: z.number().int().min(0) })
    .strict(),
  z.object({ split: z.enum(['train', 'test']), index: z.number().int().min(0) }).strict(),
  z.object({ file: PathSchema }).strict(),
]);
export type ImageRef = z.infer<typeof ImageRefSchema>;

export const SeedSchema = z.number().int().min(0).max(2 ** 31 - 1);
export const TemperatureSchema = z.number().min(0).max(2);

/**
 * Optional key of interactive requests (a slider's burst): a newer request with the same key
 * cancels this one in the engine, which then answers CANCELLED. Any command may share a key.
 */
export const SupersedeSchema = z.string().min(1).max(128);
