/**
 * `flowstudio perturb`: Fig. 5 for one image. Keeps the first K levels' latents and resamples
 * the rest at a temperature; the PNG shows original | reconstruction | perturbed, and with
 * --grid both Fig. 5 rows for every K.
 */
import { existsSync, writeFileSync } from 'node:fs';
import type { Command } from 'commander';
import { encodePngGrid, openDataset } from '../../data';
import { loadImageFile } from '../../data/imageFile';
import { initBackend } from '../../engine/backend';
import { imageToModelInput, perturbLatents, perturbationGrid, toDisplayPixels } from '../../engine/runs/inference';
import { RunManager } from '../../engine/runs/runManager';
import { type Tensor, tf } from '../../engine/tf';
import { info, intFlag, numberFlag, printJson } from '../output';

interface PerturbFlags {
  run: string;
  image: string;
  keepLevels: string;
  temperature: string;
  seed: string;
  grid?: boolean;
  out: string;
  json?: boolean;
}

export async function runPerturb(flags: PerturbFlags): Promise<void> {
  const temperature = numberFlag('temperature', flags.temperature, 0, 2)!;
  const seed = intFlag('seed', flags.seed, 0, 2 ** 31 - 1)!;
  const backend = await initBackend();
  const run = new RunManager((spec, options) => openDataset(spec, options)).load({ runDir: flags.run });
  const shape = run.config.model.inputShape;
  if (shape.length !== 3) throw new Error(`${flags.run} is a 2-D toy model; perturb needs an image model`);
  const levels = run.model.latentShapes.length;
  const keep = intFlag('keep-levels', flags.keepLevels, 0, levels)!;
  const x = await resolveImage(flags.image, run.config.data, shape, run.config.model.bits, run.config.model);
  let images: Tensor;
  let columns: number;
  let reconstructionError: number;
  try {
    const recon = perturbLatents(run.model, x, Array.from({ length: levels }, () => ({ keep: true, temperature })), seed);
    reconstructionError = tf.tidy(() => tf.max(tf.abs(tf.sub(recon, x))).dataSync()[0]!);
    if (flags.grid) {
      const { keepFirst, resampleFirst } = perturbationGrid(run.model, x, temperature, seed);
      images = tf.concat([x, keepFirst, recon, resampleFirst], 0);
      keepFirst.dispose();
      resampleFirst.dispose();
      columns = levels + 1;
    } else {
      const controls = Array.from({ length: levels }, (_, i) => ({ keep: i < keep, temperature }));
      const perturbed = perturbLatents(run.model, x, controls, seed);
      images = tf.concat([x, recon, perturbed], 0);
      perturbed.dispose();
      columns = 3;
    }
    recon.dispose();
  } finally {
    x.dispose();
  }
  const pixels = await toDisplayPixels(images, run.config.model.bits);
  images.dispose();
  const png = await encodePngGrid(pixels, shape, columns);
  writeFileSync(flags.out, Buffer.from(png.base64, 'base64'));
  const figures = { backend: backend.active, out: flags.out, levels, keepLevels: keep, temperature, steps: run.step, reconstructionError };
  if (flags.json) printJson(figures);
  else info(`wrote ${flags.out}: ${flags.grid ? 'Fig. 5 grid' : `original | reconstruction | keep ${keep}/${levels} levels`} (max reconstruction error ${reconstructionError.toExponential(2)})`);
}

/** `--image` is a file, or `train:INDEX` / `test:INDEX` in the run's dataset. */
async function resolveImage(ref: string, spec: string, shape: number[], bits: number, model: Parameters<typeof imageToModelInput>[2]): Promise<Tensor> {
  const match = /^(train|test):(\d+)$/.exec(ref);
  if (match && !existsSync(ref)) {
    const dataset = await openDataset(spec);
    const example = await dataset.get(match[1] as 'train' | 'test', Number(match[2]));
    return imageToModelInput(example.data as Uint8Array, shape, model);
  }
  const pixels = await loadImageFile(ref, { size: shape[0]!, channels: shape[2]!, bits });
  return imageToModelInput(pixels, shape, model);
}

export function registerPerturb(program: Command): void {
  program
    .command('perturb')
    .description('Fig. 5: keep the first K latent levels of an image, resample the rest, decode')
    .requiredOption('--run <dir>', 'run folder')
    .requiredOption('--image <file|train:i|test:i>', "an image file, or an index into the run's dataset")
    .option('--keep-levels <k>', 'levels kept (the first k)', '1')
    .option('--temperature <t>', 'temperature of the resampled levels', '0.9')
    .option('--seed <n>', 'seed of the resampled latents', '0')
    .option('--grid', 'write both Fig. 5 rows for every k instead')
    .requiredOption('--out <file.png>', 'output PNG')
    .option('--json', 'print one JSON object with the figures as the last line')
    .action((flags: PerturbFlags) => runPerturb(flags));
}
