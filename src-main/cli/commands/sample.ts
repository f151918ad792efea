/** `flowstudio sample`: a grid of samples at a temperature, as PNG (the `sample` command). */
import { writeFileSync } from 'node:fs';
import type { Command } from 'commander';
import { prepare } from '../engine';
import { FlagArgs, type Numeric, numeric } from '../flagArgs';
import { pngOutputOptions } from '../options';
import { info, printJson } from '../output';

type SampleFlags = { run: string; n: Numeric; temperature: Numeric; seed: Numeric; out: string; json?: boolean };

export async function runSample(flags: SampleFlags): Promise<void> {
  const { engine, args, backend } = await prepare('sample', FlagArgs.from(flags, { run: 'run.runDir', n: 'n', temperature: 'temperature', seed: 'seed' }));
  const r = await engine.invoke('sample', args);
  writeFileSync(flags.out, Buffer.from(r.grid.base64, 'base64'));
  const { width, height } = r.grid;
  const perSecond = r.seconds > 0 ? r.n / r.seconds : 0;
  if (flags.json) printJson({ backend: backend.active, out: flags.out, n: r.n, temperature: r.temperature, steps: r.step, imagesPerSecond: perSecond, width, height });
  else info(`wrote ${r.n} samples at T=${r.temperature} to ${flags.out} (${width}×${height})`);
}

export function registerSample(program: Command): void {
  const command = program
    .command('sample')
    .description('sample a grid of images from a run at a temperature')
    .requiredOption('--run <dir>', 'run folder')
    .option('--n <count>', 'number of samples', numeric, 64);
  pngOutputOptions(command, { temperature: 'temperature of the Gaussian latents', seed: 'sampling seed' }).action((flags: SampleFlags) => runSample(flags));
}
