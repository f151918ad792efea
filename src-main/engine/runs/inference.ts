/**
 * Inference with a trained flow: samples at a temperature, encode → edit latents per level →
 * decode (Fig. 5), interpolation, and the 2-D toy lab's density grid and per-block point
 * clouds (Fig. 3 / 7). Model outputs are turned back into n-bit pixels for display.
 *
 * The interactive paths work in chunks and call `between()` before each: the handlers pass a
 * function that yields to the event loop and throws when the request was superseded, so a
 * slider's burst of requests does not queue a full computation per position. Every host read
 * is an async `data()`.
 */
import type { ModelConfig } from '../../../src-shared/config';
import { maxAbsError } from '../flow/roundTrip';
import { logLikelihood } from '../flow/prior';
import type { LevelControl } from '../../../src-shared/protocol';
import type { FlowModel } from '../flow/types';
import { type Tensor, tf } from '../tf';
import { INPUT_LOW, quantize } from '../flow/units';

/** Runs between chunks of work (yield, cancellation check). */
export type Between = () => Promise<void>;

const noPause: Between = async () => undefined;

/**
 * Model-range images → 8-bit NHWC pixels. The model input is x = x̃/2ⁿ − 0.5 with x̃ in
 * [0, 2ⁿ); the n-bit value is floor(x̃), shown at 8 bits as round(k·255/(2ⁿ − 1)).
 */
export async function toDisplayPixels(x: Tensor, bits: number): Promise<Uint8Array[]> {
  const pixels = tf.tidy(() => tf.round(tf.mul(quantize(x, bits), 255 / (2 ** bits - 1))));
  const data = await pixels.data();
  const [n, ...rest] = pixels.shape;
  pixels.dispose();
  const size = rest.reduce((a, b) => a * b, 1);
  const out: Uint8Array[] = [];
  for (let i = 0; i < n!; i++) out.push(Uint8Array.from(data.subarray(i * size, (i + 1) * size)));
  return out;
}

/** n samples at a temperature, as model-range images [n, h, w, c], in one batch (benchmarks). */
export function sampleImages(model: FlowModel, n: number, temperature: number, seed: number): Tensor {
  return tf.tidy(() => model.inverse(model.sampleLatents(n, temperature, seed)));
}

/** Images decoded per chunk: 8, fewer for large images (one 1024² image is a chunk). */
export function sampleChunkSize(dims: number): number {
  return Math.max(1, Math.min(8, Math.floor(65_536 / dims)));
}

/**
 * n samples at a temperature, decoded chunk by chunk. Chunk c draws its latents with its own
 * seed, so image i depends on (seed, i) only, not on n: a preview of the first k images shows
 * exactly the first k images of the full grid.
 */
export async function sampleImagesInChunks(model: FlowModel, n: number, temperature: number, seed: number, between: Between = noPause): Promise<Tensor> {
  const chunk = sampleChunkSize(model.dims);
  const parts: Tensor[] = [];
  let result: Tensor | null = null;
  try {
    for (let c = 0; c * chunk < n; c++) {
      await between();
      const count = Math.min(chunk, n - c * chunk);
      // Draw the whole chunk and keep its first `count`: the draws of image i never depend on n.
      parts.push(
        tf.tidy(() => {
          const latents = model.sampleLatents(chunk, temperature, (seed + 104_729 * c) % 2 ** 31);
          return model.inverse(latents.map((z) => tf.slice(z, 0, count)));
        }),
      );
    }
    result = parts.length === 1 ? parts[0]! : tf.concat(parts, 0);
    return result;
  } finally {
    for (const p of parts) if (p !== result) p.dispose();
  }
}

/** Encodes x: each level's latent, level 1 first. */
export function encodeLatents(model: FlowModel, x: Tensor): Tensor[] {
  return tf.tidy(() => model.forward(x).latents);
}

/**
 * Decodes latents after replacing each level's by a fresh draw at that level's temperature,
 * unless it is kept. The draws depend on (seed, level) only.
 */
export function decodeEdited(model: FlowModel, latents: readonly Tensor[], levels: readonly LevelControl[], seed: number): Tensor {
  if (levels.length !== model.latentShapes.length) {
    throw new Error(`the model has ${model.latentShapes.length} levels but ${levels.length} level controls were given`);
  }
  return tf.tidy(() => {
    const batch = latents[0]!.shape[0]!;
    const edited = latents.map((z, i) => {
      const control = levels[i]!;
      if (control.keep) return z;
      return tf.mul(tf.randomNormal([batch, ...model.latentShapes[i]!], 0, 1, 'float32', seed + 7919 * (i + 1)), control.temperature);
    });
    return model.inverse(edited);
  });
}

/** Encodes x (a batch of one), keeps or resamples each level's latent, decodes. */
export function perturbLatents(model: FlowModel, x: Tensor, levels: readonly LevelControl[], seed: number): Tensor {
  const latents = encodeLatents(model, x);
  try {
    return decodeEdited(model, latents, levels, seed);
  } finally {
    for (const z of latents) z.dispose();
  }
}

/** Max |a − b| over every entry, read asynchronously. */
export async function maxAbsDifference(a: Tensor, b: Tensor): Promise<number> {
  const m = maxAbsError(a, b);
  const value = (await m.data())[0]!;
  m.dispose();
  return value;
}

/**
 * Fig. 5 rows for k = 1..L: keep the first k levels (resample the rest), and the reverse;
 * plus the reconstruction (every level kept). x is encoded once.
 */
export async function perturbationGrid(
  model: FlowModel,
  x: Tensor,
  temperature: number,
  seed: number,
  between: Between = noPause,
): Promise<{ reconstruction: Tensor; keepFirst: Tensor[]; resampleFirst: Tensor[] }> {
  const L = model.latentShapes.length;
  const latents = encodeLatents(model, x);
  const keepFirst: Tensor[] = [];
  const resampleFirst: Tensor[] = [];
  let reconstruction: Tensor | null = null;
  try {
    reconstruction = decodeEdited(model, latents, Array.from({ length: L }, () => ({ keep: true, temperature })), seed);
    for (let k = 1; k <= L; k++) {
      for (const [row, keepFirstRow] of [[keepFirst, true], [resampleFirst, false]] as const) {
        await between();
        const controls = Array.from({ length: L }, (_, i) => ({ keep: keepFirstRow ? i < k : i >= k, temperature }));
        row.push(decodeEdited(model, latents, controls, seed));
      }
    }
    return { reconstruction, keepFirst, resampleFirst };
  } catch (error) {
    for (const t of [reconstruction, ...keepFirst, ...resampleFirst]) t?.dispose();
    throw error;
  } finally {
    for (const z of latents) z.dispose();
  }
}

/** Decodes evenly spaced points on the segment between the latents of a and b, one frame per chunk. */
export async function interpolateLatents(model: FlowModel, a: Tensor, b: Tensor, steps: number, between: Between = noPause): Promise<Tensor[]> {
  const za = encodeLatents(model, a);
  const zb = encodeLatents(model, b);
  const frames: Tensor[] = [];
  try {
    for (let s = 0; s < steps; s++) {
      await between();
      const t = s / (steps - 1);
      frames.push(tf.tidy(() => model.inverse(za.map((z, i) => tf.add(tf.mul(z, 1 - t), tf.mul(zb[i]!, t))))));
    }
    return frames;
  } catch (error) {
    for (const f of frames) f.dispose();
    throw error;
  } finally {
    for (const z of [...za, ...zb]) z.dispose();
  }
}

/** Row-major log-density on [−extent, extent]², row 0 at y = +extent (2-D models). */
export async function densityGrid(model: FlowModel, resolution: number, extent: number, between: Between = noPause): Promise<number[]> {
  const out: number[] = [];
  const rowsPerChunk = Math.max(1, Math.floor(4096 / resolution));
  for (let r0 = 0; r0 < resolution; r0 += rowsPerChunk) {
    await between();
    const rows = Math.min(rowsPerChunk, resolution - r0);
    const values = tf.tidy(() => {
      const pts: number[] = [];
      for (let r = r0; r < r0 + rows; r++) {
        const y = extent - ((r + 0.5) / resolution) * 2 * extent;
        for (let c = 0; c < resolution; c++) pts.push(-extent + ((c + 0.5) / resolution) * 2 * extent, y);
      }
      const x = tf.tensor2d(pts, [rows * resolution, 2]);
      return logLikelihood(model.forward(x));
    });
    out.push(...(await values.data()));
    values.dispose();
  }
  return out;
}

/** The points after each block, with the half-width holding 99% of them (the panel scale). */
export async function pointsThroughBlocks(model: FlowModel, points: Tensor): Promise<{ name: string; points: number[]; scale: number }[]> {
  const blocks = model.blocks;
  if (!blocks || blocks.length === 0) throw new Error('this model does not expose its blocks');
  const out: { name: string; points: number[]; scale: number }[] = [{ name: 'data', ...(await describe(points)) }];
  let current = tf.clone(points);
  try {
    for (const block of blocks) {
      const next = tf.tidy(() => block.apply(current));
      current.dispose();
      current = next;
      out.push({ name: block.name, ...(await describe(current)) });
    }
  } finally {
    current.dispose();
  }
  return out;
}

async function describe(points: Tensor): Promise<{ points: number[]; scale: number }> {
  const values = Array.from(await points.data());
  const magnitudes = values.map(Math.abs).sort((a, b) => a - b);
  const scale = magnitudes[Math.min(magnitudes.length - 1, Math.floor(0.99 * magnitudes.length))] ?? 1;
  return { points: values, scale: scale > 0 ? scale : 1 };
}

/** The model-input tensor of one n-bit image (no noise: the centre of its dequantisation cell). */
export function imageToModelInput(pixels: Uint8Array, shape: number[], config: ModelConfig): Tensor {
  const levels = 2 ** config.bits;
  return tf.tidy(() => tf.add(tf.div(tf.add(tf.tensor(pixels, [1, ...shape], 'float32'), 0.5), levels), INPUT_LOW));
}
