/** `flowstudio eval`: the bpd (or NLL) of a run's latest checkpoint on a split. */
import type { Command } from 'commander';
import { lossUnit } from '../../../src-shared/lossUnit';
import { openDataset } from '../../data';
import { initBackend } from '../../engine/backend';
import { RunManager, checkDataMatchesModel } from '../../engine/runs/runManager';
import { evaluate } from '../../engine/train/evaluate';
import { deriveSeed } from '../../engine/train/seeds';
import { info, intFlag, printJson } from '../output';

interface EvalFlags {
  run: string;
  data?: string;
  split: string;
  n?: string;
  batch?: string;
  json?: boolean;
}

export async function runEval(flags: EvalFlags): Promise<void> {
  if (flags.split !== 'train' && flags.split !== 'test') throw new Error(`--split must be train or test, got "${flags.split}"`);
  const backend = await initBackend();
  const manager = new RunManager((spec, options) => openDataset(spec, options));
  const run = manager.load({ runDir: flags.run });
  const spec = flags.data ?? run.config.data;
  const dataset = await openDataset(spec);
  checkDataMatchesModel(dataset, { ...run.config, data: spec });
  const available = flags.split === 'train' ? dataset.info.trainCount : dataset.info.testCount;
  const limit = intFlag('n', flags.n, 1) ?? available;
  const started = performance.now();
  const result = await evaluate({
    model: run.model,
    config: run.config.model,
    dataset,
    split: flags.split,
    limit,
    batchSize: intFlag('batch', flags.batch, 1, 4096) ?? Math.min(256, run.config.train.batchSize),
    seed: deriveSeed(run.config.train.seed, 'eval'),
  });
  const seconds = (performance.now() - started) / 1000;
  const toy = lossUnit(run.config.model) === 'nats';
  const key = `${flags.split}${toy ? 'Nll' : 'Bpd'}`;
  const figures = {
    backend: backend.active,
    runDir: run.folder.dir,
    data: spec,
    split: flags.split,
    steps: run.step,
    count: result.count,
    imagesPerSecond: result.count / seconds,
    [key]: result.mean,
    standardError: result.standardError,
  };
  if (flags.json) printJson(figures);
  else info(`${key} = ${result.mean.toFixed(4)} ± ${result.standardError.toFixed(4)} over ${result.count} examples (step ${run.step}, ${backend.active})`);
}

export function registerEval(program: Command): void {
  program
    .command('eval')
    .description("evaluate a run's latest checkpoint: bits/dim (images) or NLL in nats (2-D toys)")
    .requiredOption('--run <dir>', 'run folder')
    .option('--data <spec>', "data spec (default: the run's own)")
    .option('--split <split>', 'train or test', 'test')
    .option('--n <count>', 'evaluate the first n examples only')
    .option('--batch <n>', 'evaluation batch size')
    .option('--json', 'print one JSON object with the figures as the last line')
    .action((flags: EvalFlags) => runEval(flags));
}
