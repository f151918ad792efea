/** `flowstudio sample`: a grid of samples at a temperature, as PNG (the `sample` command). */
import { writeFileSync } from 'node:fs';
import type { Command } from 'commander';
import { CliEngine } from '../engine';
import { FlagArgs, numeric } from '../flagArgs';
import { info, printJson } from '../output';

interface SampleFlags {
  run: string;
  n: number | string;
  temperature: number | string;
  seed: number | string;
  out: string;
  json?: boolean;
}

export async function runSample(flags: SampleFlags): Promise<void> {
  const engine = new CliEngine();
  const built = new FlagArgs()
    .set('run.runDir', flags.run, '--run')
    .set('n', flags.n, '--n')
    .set('temperature', flags.temperature, '--temperature')
    .set('seed', flags.seed, '--seed');
  const args = engine.validate('sample', built.value, built.label);
  const backend = await engine.invoke('getBackendInfo', {});
  const result = await engine.invoke('sample', args);
  writeFileSync(flags.out, Buffer.from(result.grid.base64, 'base64'));
  const { width, height } = result.grid;
  const figures = {
    backend: backend.active,
    out: flags.out,
    n: result.n,
    temperature: result.temperature,
    steps: result.step,
    imagesPerSecond: result.seconds > 0 ? result.n / result.seconds : 0,
    width,
    height,
  };
  if (flags.json) printJson(figures);
  else info(`wrote ${result.n} samples at T=${result.temperature} to ${flags.out} (${width}×${height})`);
}

export function registerSample(program: Command): void {
  program
    .command('sample')
    .description('sample a grid of images from a run at a temperature')
    .requiredOption('--run <dir>', 'run folder')
    .option('--n <count>', 'number of samples', numeric, 64)
    .option('--temperature <t>', 'temperature of the Gaussian latents', numeric, 0.9)
    .option('--seed <n>', 'sampling seed', numeric, 0)
    .requiredOption('--out <file.png>', 'output PNG')
    .option('--json', 'print one JSON object with the figures as the last line')
    .action((flags: SampleFlags) => runSample(flags));
}
