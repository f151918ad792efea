/**
 * Sampling and latent-space commands: the temperature sampler and the Fig. 5 latent studio.
 * Each works in chunks and stops early when a newer request with the same `supersede` key
 * arrives (see dispatcher.ts); `sample` with `preview` answers the grid's first images only.
 */
import { PREVIEW_SAMPLES, type sampleCommands } from '../../../src-shared/protocol';
import { initBackend } from '../backend';
import type { Handlers } from '../context';
import { decodeEdited, encodeLatents, interpolateLatents, maxAbsDifference, perturbationGrid, sampleImagesInChunks } from '../runs/inference';
import { runManager } from '../state';
import type { Tensor } from '../tf';
import { checkpointsOf, eachPng, gridPng, imageShape, loadImage } from './images';

/** Disposes every tensor, whatever happened. */
function disposeAll(tensors: readonly (Tensor | null)[]): void {
  for (const t of tensors) t?.dispose();
}

export const sampleHandlers: Handlers<keyof typeof sampleCommands> = {
  sample: async ({ run: ref, n, temperature, seed, columns, preview }, ctx) => {
    await initBackend();
    ctx.throwIfCancelled();
    const run = await runManager().load(ref);
    imageShape(run);
    const count = preview ? Math.min(n, PREVIEW_SAMPLES) : n;
    const started = performance.now();
    const images = await sampleImagesInChunks(run.model, count, temperature, seed, checkpointsOf(ctx));
    try {
      const seconds = (performance.now() - started) / 1000;
      const grid = await gridPng(run, images, Math.min(columns ?? Math.ceil(Math.sqrt(count)), count));
      return { grid, n: count, temperature, step: run.step, seconds };
    } finally {
      images.dispose();
    }
  },

  perturb: async ({ run: ref, image, levels, seed }, ctx) => {
    await initBackend();
    const run = await runManager().load(ref);
    const between = checkpointsOf(ctx);
    const x = await loadImage(run, image);
    const latents = encodeLatents(run.model, x);
    let reconstruction: Tensor | null = null;
    let perturbed: Tensor | null = null;
    try {
      await between();
      reconstruction = decodeEdited(run.model, latents, levels.map(() => ({ keep: true, temperature: 0 })), seed);
      const reconstructionError = await maxAbsDifference(reconstruction, x);
      await between();
      perturbed = decodeEdited(run.model, latents, levels, seed);
      const [original, recon, edited] = await eachPng(run, [x, reconstruction, perturbed]);
      return { original: original!, reconstruction: recon!, perturbed: edited!, reconstructionError };
    } finally {
      disposeAll([x, ...latents, reconstruction, perturbed]);
    }
  },

  perturbGrid: async ({ run: ref, image, temperature, seed }, ctx) => {
    await initBackend();
    const run = await runManager().load(ref);
    const x = await loadImage(run, image);
    let grid: Awaited<ReturnType<typeof perturbationGrid>> | null = null;
    try {
      grid = await perturbationGrid(run.model, x, temperature, seed, checkpointsOf(ctx));
      const [original, reconstruction] = await eachPng(run, [x, grid.reconstruction]);
      return {
        original: original!,
        reconstruction: reconstruction!,
        reconstructionError: await maxAbsDifference(grid.reconstruction, x),
        keepFirst: await eachPng(run, grid.keepFirst),
        resampleFirst: await eachPng(run, grid.resampleFirst),
      };
    } finally {
      disposeAll([x, ...(grid ? [grid.reconstruction, ...grid.keepFirst, ...grid.resampleFirst] : [])]);
    }
  },

  interpolate: async ({ run: ref, a, b, steps }, ctx) => {
    await initBackend();
    const run = await runManager().load(ref);
    const inputs: Tensor[] = [];
    let frames: Tensor[] = [];
    try {
      inputs.push(await loadImage(run, a));
      inputs.push(await loadImage(run, b));
      frames = await interpolateLatents(run.model, inputs[0]!, inputs[1]!, steps, checkpointsOf(ctx));
      return { frames: await eachPng(run, frames) };
    } finally {
      disposeAll([...inputs, ...frames]);
    }
  },
};
