/** `flowstudio eval`: the bpd (or NLL) of a run's latest checkpoint on a split (the `evaluate` command). */
import type { Command } from 'commander';
import { CliEngine } from '../engine';
import { showEvents } from '../events';
import { FlagArgs, numeric } from '../flagArgs';
import { info, printJson } from '../output';

interface EvalFlags {
  run: string;
  data?: string;
  split: string;
  n?: number | string;
  batch?: number | string;
  json?: boolean;
}

export async function runEval(flags: EvalFlags): Promise<void> {
  const engine = new CliEngine();
  const built = new FlagArgs()
    .set('run.runDir', flags.run, '--run')
    .set('data', flags.data, '--data')
    .set('split', flags.split, '--split')
    .set('n', flags.n, '--n')
    .set('batchSize', flags.batch, '--batch');
  const args = engine.validate('evaluate', built.value, built.label);
  const backend = await engine.invoke('getBackendInfo', {});
  const stop = showEvents(engine, { progress: !flags.json });
  try {
    const result = await engine.invoke('evaluate', args);
    const key = `${result.split}${result.unit === 'nats' ? 'Nll' : 'Bpd'}`;
    const figures = {
      backend: backend.active,
      runDir: result.runDir,
      data: result.data,
      split: result.split,
      steps: result.step,
      count: result.count,
      imagesPerSecond: result.seconds > 0 ? result.count / result.seconds : 0,
      [key]: result.mean,
      standardError: result.standardError,
    };
    if (flags.json) printJson(figures);
    else info(`${key} = ${result.mean.toFixed(4)} ± ${result.standardError.toFixed(4)} over ${result.count} examples (step ${result.step}, ${backend.active})`);
  } finally {
    stop();
  }
}

export function registerEval(program: Command): void {
  program
    .command('eval')
    .description("evaluate a run's latest checkpoint: bits/dim (images) or NLL in nats (2-D toys)")
    .requiredOption('--run <dir>', 'run folder')
    .option('--data <spec>', "data spec (default: the run's own)")
    .option('--split <split>', 'train or test', 'test')
    .option('--n <count>', 'evaluate the first n examples only', numeric)
    .option('--batch <n>', 'evaluation batch size', numeric)
    .option('--json', 'print one JSON object with the figures as the last line')
    .action((flags: EvalFlags) => runEval(flags));
}
