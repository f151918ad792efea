/** Sampling and latent-space commands: temperature sampler and the Fig. 5 latent studio. */
import type { ImageRef } from '../../../src-shared/protocol';
import { encodePngGrid } from '../../data';
import { sharedDatasets } from '../../data/openedDatasets';
import { loadImageFile } from '../../data/imageFile';
import { initBackend } from '../backend';
import type { HandlerMap } from '../context';
import type { LoadedRun } from '../runs/runManager';
import { imageToModelInput, interpolateLatents, perturbLatents, perturbationGrid, sampleImages, toDisplayPixels } from '../runs/inference';
import { runManager } from '../state';
import { type Tensor, tf } from '../tf';

function imageShape(run: LoadedRun): number[] {
  const shape = run.config.model.inputShape;
  if (shape.length !== 3) throw new Error(`${run.folder.dir} is a 2-D toy model: use the toy lab instead of image commands`);
  return shape;
}

async function pngOf(run: LoadedRun, images: Tensor, columns: number) {
  const pixels = await toDisplayPixels(images, run.config.model.bits);
  images.dispose();
  return encodePngGrid(pixels, imageShape(run), columns);
}

/** Loads the referenced image as a model input [1, h, w, c] at the run's size and bits. */
async function loadImage(run: LoadedRun, ref: ImageRef): Promise<Tensor> {
  const shape = imageShape(run);
  if ('file' in ref) {
    const pixels = await loadImageFile(ref.file, { size: shape[0]!, channels: shape[2]!, bits: run.config.model.bits });
    return imageToModelInput(pixels, shape, run.config.model);
  }
  const dataset = await sharedDatasets.open(ref.data);
  const example = await dataset.get(ref.split, ref.index);
  if (example.shape.join('x') !== shape.join('x')) {
    throw new Error(`${ref.data} has images of shape ${example.shape.join('×')} but the run expects ${shape.join('×')}`);
  }
  return imageToModelInput(example.data as Uint8Array, shape, run.config.model);
}

export const sampleHandlers: HandlerMap = {
  sample: async ({ run: ref, n, temperature, seed, columns }) => {
    await initBackend();
    const run = runManager().load(ref);
    imageShape(run);
    const grid = await pngOf(run, sampleImages(run.model, n, temperature, seed), columns ?? Math.ceil(Math.sqrt(n)));
    return { grid, n, temperature, step: run.step };
  },
  perturb: async ({ run: ref, image, levels, seed }) => {
    await initBackend();
    const run = runManager().load(ref);
    const x = await loadImage(run, image);
    try {
      const keepAll = levels.map(() => ({ keep: true, temperature: 0 }));
      const reconstruction = perturbLatents(run.model, x, keepAll, seed);
      const errorT = tf.tidy(() => tf.max(tf.abs(tf.sub(reconstruction, x))));
      const error = (await errorT.data())[0]!;
      errorT.dispose();
      const perturbed = perturbLatents(run.model, x, levels, seed);
      return {
        original: await pngOf(run, tf.clone(x), 1),
        reconstruction: await pngOf(run, reconstruction, 1),
        perturbed: await pngOf(run, perturbed, 1),
        reconstructionError: error,
      };
    } finally {
      x.dispose();
    }
  },
  perturbGrid: async ({ run: ref, image, temperature, seed }) => {
    await initBackend();
    const run = runManager().load(ref);
    const x = await loadImage(run, image);
    try {
      const { keepFirst, resampleFirst } = perturbationGrid(run.model, x, temperature, seed);
      const split = async (images: Tensor) => {
        const pixels = await toDisplayPixels(images, run.config.model.bits);
        images.dispose();
        return Promise.all(pixels.map((p) => encodePngGrid([p], imageShape(run), 1)));
      };
      return { original: await pngOf(run, tf.clone(x), 1), keepFirst: await split(keepFirst), resampleFirst: await split(resampleFirst) };
    } finally {
      x.dispose();
    }
  },
  interpolate: async ({ run: ref, a, b, steps }) => {
    await initBackend();
    const run = runManager().load(ref);
    const xa = await loadImage(run, a);
    const xb = await loadImage(run, b);
    try {
      const frames = interpolateLatents(run.model, xa, xb, steps);
      const pixels = await toDisplayPixels(frames, run.config.model.bits);
      frames.dispose();
      return { frames: await Promise.all(pixels.map((p) => encodePngGrid([p], imageShape(run), 1))) };
    } finally {
      xa.dispose();
      xb.dispose();
    }
  },
};
