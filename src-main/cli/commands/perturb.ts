/**
 * `flowstudio perturb`: Fig. 5 for one image (the `perturb` and `perturbGrid` commands). Keeps
 * the first K levels' latents and resamples the rest at a temperature; the PNG shows
 * original | reconstruction | perturbed, and with --grid both Fig. 5 rows for every K.
 */
import { existsSync, writeFileSync } from 'node:fs';
import type { Command } from 'commander';
import type { ImageRef } from '../../../src-shared/protocol';
import { CliEngine } from '../engine';
import { FlagArgs, numeric } from '../flagArgs';
import { pngOutputOptions } from '../options';
import { info, printJson } from '../output';
import { pngSheet } from '../pngSheet';

interface PerturbFlags {
  run: string;
  image: string;
  keepLevels: number | string;
  temperature: number | string;
  seed: number | string;
  grid?: boolean;
  out: string;
  json?: boolean;
}

/** `--image` is a file, or `train:INDEX` / `test:INDEX` in the run's own dataset. */
function imageRef(text: string): ImageRef {
  const match = /^(train|test):(\d+)$/.exec(text);
  return match && !existsSync(text) ? { split: match[1] as 'train' | 'test', index: Number(match[2]) } : { file: text };
}

export async function runPerturb(flags: PerturbFlags): Promise<void> {
  const engine = new CliEngine();
  const backend = await engine.invoke('getBackendInfo', {});
  const opened = await engine.invoke('openRun', { run: { runDir: flags.run }, maxPoints: 10 });
  const levels = opened.config.model.levels;
  const keep = flags.keepLevels;
  if (typeof keep !== 'number' || !Number.isInteger(keep) || keep < 0 || keep > levels) {
    throw new Error(`--keep-levels must be an integer from 0 to ${levels} (the run's levels), got ${JSON.stringify(keep)}`);
  }
  const common = new FlagArgs()
    .set('run.runDir', flags.run, '--run')
    .set('image', imageRef(flags.image), '--image')
    .set('seed', flags.seed, '--seed');
  let png: Buffer;
  let reconstructionError: number;
  if (flags.grid) {
    const args = engine.validate('perturbGrid', common.set('temperature', flags.temperature, '--temperature').value, common.label);
    const grid = await engine.invoke('perturbGrid', args);
    png = await pngSheet([grid.original, ...grid.keepFirst, grid.reconstruction, ...grid.resampleFirst], levels + 1);
    reconstructionError = grid.reconstructionError;
  } else {
    const controls = Array.from({ length: levels }, (_, i) => ({ keep: i < keep, temperature: flags.temperature }));
    const args = engine.validate('perturb', common.set('levels', controls, '--temperature').value, common.label);
    const result = await engine.invoke('perturb', args);
    png = await pngSheet([result.original, result.reconstruction, result.perturbed], 3);
    reconstructionError = result.reconstructionError;
  }
  writeFileSync(flags.out, png);
  const temperature = flags.temperature;
  const figures = { backend: backend.active, out: flags.out, levels, keepLevels: keep, temperature, steps: opened.run.step, reconstructionError };
  if (flags.json) printJson(figures);
  else info(`wrote ${flags.out}: ${flags.grid ? 'Fig. 5 grid' : `original | reconstruction | keep ${keep}/${levels} levels`} (max reconstruction error ${reconstructionError.toExponential(2)})`);
}

export function registerPerturb(program: Command): void {
  const command = program
    .command('perturb')
    .description('Fig. 5: keep the first K latent levels of an image, resample the rest, decode')
    .requiredOption('--run <dir>', 'run folder')
    .requiredOption('--image <file|train:i|test:i>', "an image file, or an index into the run's dataset")
    .option('--keep-levels <k>', 'levels kept (the first k)', numeric, 1)
    .option('--grid', 'write both Fig. 5 rows for every k instead');
  pngOutputOptions(command, { temperature: 'temperature of the resampled levels', seed: 'seed of the resampled latents' }).action((flags: PerturbFlags) => runPerturb(flags));
}
