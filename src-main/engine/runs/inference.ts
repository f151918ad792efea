/**
 * Inference with a trained flow: samples at a temperature, encode → edit latents per level →
 * decode (Fig. 5), interpolation, and the 2-D toy lab's density grid and per-block point
 * clouds (Fig. 3 / 7). Model outputs are turned back into n-bit pixels for display.
 */
import type { ModelConfig } from '../../../src-shared/config';
import type { LevelControl } from '../../../src-shared/protocol';
import type { FlowModel } from '../flow/types';
import { type Tensor, tf } from '../tf';
import { sumStandardNormalLogProb } from '../train/objective';
import { INPUT_LOW, quantize } from '../flow/units';

/**
 * Model-range images → 8-bit NHWC pixels. The model input is x = x̃/2ⁿ − 0.5 with x̃ in
 * [0, 2ⁿ); the n-bit value is floor(x̃), shown at 8 bits as round(k·255/(2ⁿ − 1)).
 */
export async function toDisplayPixels(x: Tensor, bits: number): Promise<Uint8Array[]> {
  const pixels = tf.tidy(() => tf.round(tf.mul(quantize(x, bits), 255 / (2 ** bits - 1))));
  const [n, ...rest] = pixels.shape;
  let data: Float32Array;
  try {
    data = (await pixels.data()) as Float32Array; // the one read of a sampling or decoding call
  } finally {
    pixels.dispose();
  }
  const size = rest.reduce((a, b) => a * b, 1);
  const out: Uint8Array[] = [];
  for (let i = 0; i < n!; i++) out.push(Uint8Array.from(data.subarray(i * size, (i + 1) * size)));
  return out;
}

/** n samples at a temperature, as model-range images [n, h, w, c]. */
export function sampleImages(model: FlowModel, n: number, temperature: number, seed: number): Tensor {
  return tf.tidy(() => model.inverse(model.sampleLatents(n, temperature, seed)));
}

/**
 * Encodes x (a batch of one), replaces each level's latent by a fresh draw at that level's
 * temperature unless it is kept, and decodes.
 */
export function perturbLatents(model: FlowModel, x: Tensor, levels: LevelControl[], seed: number): Tensor {
  if (levels.length !== model.latentShapes.length) {
    throw new Error(`the model has ${model.latentShapes.length} levels but ${levels.length} level controls were given`);
  }
  return tf.tidy(() => {
    const { latents } = model.forward(x);
    const batch = x.shape[0]!;
    const edited = latents.map((z, i) => {
      const control = levels[i]!;
      if (control.keep) return z;
      return tf.mul(tf.randomNormal([batch, ...model.latentShapes[i]!], 0, 1, 'float32', seed + 7919 * (i + 1)), control.temperature);
    });
    return model.inverse(edited);
  });
}

/** Fig. 5 rows for k = 1..L: keep the first k levels (resample the rest), and the reverse. */
export function perturbationGrid(model: FlowModel, x: Tensor, temperature: number, seed: number): { keepFirst: Tensor; resampleFirst: Tensor } {
  const L = model.latentShapes.length;
  const rows = (keepFirst: boolean): Tensor =>
    tf.tidy(() => {
      const images: Tensor[] = [];
      for (let k = 1; k <= L; k++) {
        const controls = Array.from({ length: L }, (_, i) => ({ keep: keepFirst ? i < k : i >= k, temperature }));
        images.push(perturbLatents(model, x, controls, seed));
      }
      return tf.concat(images, 0);
    });
  return { keepFirst: rows(true), resampleFirst: rows(false) };
}

/** Decodes evenly spaced points on the segment between the latents of a and b. */
export function interpolateLatents(model: FlowModel, a: Tensor, b: Tensor, steps: number): Tensor {
  return tf.tidy(() => {
    const za = model.forward(a).latents;
    const zb = model.forward(b).latents;
    const frames: Tensor[] = [];
    for (let s = 0; s < steps; s++) {
      const t = s / (steps - 1);
      frames.push(model.inverse(za.map((z, i) => tf.add(tf.mul(z, 1 - t), tf.mul(zb[i]!, t)))));
    }
    return tf.concat(frames, 0);
  });
}

/** Row-major log-density on [−extent, extent]², row 0 at y = +extent (2-D models); one read. */
export async function densityGrid(model: FlowModel, resolution: number, extent: number): Promise<number[]> {
  const chunks: Tensor[] = [];
  const rowsPerChunk = Math.max(1, Math.floor(4096 / resolution));
  for (let r0 = 0; r0 < resolution; r0 += rowsPerChunk) {
    const rows = Math.min(rowsPerChunk, resolution - r0);
    const values = tf.tidy(() => {
      const pts: number[] = [];
      for (let r = r0; r < r0 + rows; r++) {
        const y = extent - ((r + 0.5) / resolution) * 2 * extent;
        for (let c = 0; c < resolution; c++) pts.push(-extent + ((c + 0.5) / resolution) * 2 * extent, y);
      }
      const x = tf.tensor2d(pts, [rows * resolution, 2]);
      const { latents, logdet } = model.forward(x);
      return tf.add(sumStandardNormalLogProb(latents), logdet);
    });
    chunks.push(values);
  }
  const all = tf.concat(chunks);
  tf.dispose(chunks);
  try {
    return Array.from(await all.data());
  } finally {
    all.dispose();
  }
}

/** The points after each block, with the half-width holding 99% of them (the panel scale); one read. */
export async function pointsThroughBlocks(model: FlowModel, points: Tensor): Promise<{ name: string; points: number[]; scale: number }[]> {
  const blocks = model.blocks;
  if (!blocks || blocks.length === 0) throw new Error('this model does not expose its blocks');
  const stages = tf.tidy(() => {
    const outputs = [points];
    for (const block of blocks) outputs.push(block.apply(outputs[outputs.length - 1]!));
    return tf.stack(outputs);
  });
  let all: Float32Array;
  try {
    all = (await stages.data()) as Float32Array;
  } finally {
    stages.dispose();
  }
  const size = points.size;
  const names = ['data', ...blocks.map((b) => b.name)];
  return names.map((name, i) => ({ name, ...describe(all.subarray(i * size, (i + 1) * size)) }));
}

function describe(data: Float32Array): { points: number[]; scale: number } {
  const values = Array.from(data);
  const magnitudes = values.map(Math.abs).sort((a, b) => a - b);
  const scale = magnitudes[Math.min(magnitudes.length - 1, Math.floor(0.99 * magnitudes.length))] ?? 1;
  return { points: values, scale: scale > 0 ? scale : 1 };
}

/** The model-input tensor of one n-bit image (no noise: the centre of its dequantisation cell). */
export function imageToModelInput(pixels: Uint8Array, shape: number[], config: ModelConfig): Tensor {
  const levels = 2 ** config.bits;
  return tf.tidy(() => tf.add(tf.div(tf.add(tf.tensor(pixels, [1, ...shape], 'float32'), 0.5), levels), INPUT_LOW));
}
