/** `flowstudio sample`: a grid of samples at a temperature, as PNG. */
import { writeFileSync } from 'node:fs';
import type { Command } from 'commander';
import { encodePngGrid, openDataset } from '../../data';
import { initBackend } from '../../engine/backend';
import { sampleImages, toDisplayPixels } from '../../engine/runs/inference';
import { RunManager } from '../../engine/runs/runManager';
import { info, intFlag, numberFlag, printJson } from '../output';

interface SampleFlags {
  run: string;
  n: string;
  temperature: string;
  seed: string;
  out: string;
  json?: boolean;
}

export async function runSample(flags: SampleFlags): Promise<void> {
  const n = intFlag('n', flags.n, 1, 1024)!;
  const temperature = numberFlag('temperature', flags.temperature, 0, 2)!;
  const seed = intFlag('seed', flags.seed, 0, 2 ** 31 - 1)!;
  const backend = await initBackend();
  const run = new RunManager((spec, options) => openDataset(spec, options)).load({ runDir: flags.run });
  const shape = run.config.model.inputShape;
  if (shape.length !== 3) throw new Error(`${flags.run} is a 2-D toy model; sampling to PNG needs an image model`);
  const started = performance.now();
  const images = sampleImages(run.model, n, temperature, seed);
  const seconds = (performance.now() - started) / 1000;
  const pixels = await toDisplayPixels(images, run.config.model.bits);
  images.dispose();
  const png = await encodePngGrid(pixels, shape, Math.ceil(Math.sqrt(n)));
  writeFileSync(flags.out, Buffer.from(png.base64, 'base64'));
  const figures = { backend: backend.active, out: flags.out, n, temperature, steps: run.step, imagesPerSecond: n / seconds, width: png.width, height: png.height };
  if (flags.json) printJson(figures);
  else info(`wrote ${n} samples at T=${temperature} to ${flags.out} (${png.width}×${png.height})`);
}

export function registerSample(program: Command): void {
  program
    .command('sample')
    .description('sample a grid of images from a run at a temperature')
    .requiredOption('--run <dir>', 'run folder')
    .option('--n <count>', 'number of samples', '64')
    .option('--temperature <t>', 'temperature of the Gaussian latents', '0.9')
    .option('--seed <n>', 'sampling seed', '0')
    .requiredOption('--out <file.png>', 'output PNG')
    .option('--json', 'print one JSON object with the figures as the last line')
    .action((flags: SampleFlags) => runSample(flags));
}
