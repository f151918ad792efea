/** `flowstudio eval`: the bpd (or NLL) of a run's latest checkpoint on a split (the `evaluate` command). */
import type { Command } from 'commander';
import { prepare } from '../engine';
import { showEvents } from '../events';
import { FlagArgs, type Numeric, numeric } from '../flagArgs';
import { info, printJson } from '../output';

type EvalFlags = { run: string; data?: string; split: string; n?: Numeric; batch?: Numeric; json?: boolean };

export async function runEval(flags: EvalFlags): Promise<void> {
  const fields = { run: 'run.runDir', data: 'data', split: 'split', n: 'n', batch: 'batchSize' };
  const { engine, args, backend } = await prepare('evaluate', FlagArgs.from(flags, fields));
  const stop = showEvents(engine, { progress: !flags.json });
  try {
    const r = await engine.invoke('evaluate', args);
    const key = `${r.split}${r.unit === 'nats' ? 'Nll' : 'Bpd'}`;
    const perSecond = r.seconds > 0 ? r.count / r.seconds : 0;
    const figures = { backend: backend.active, runDir: r.runDir, data: r.data, split: r.split, steps: r.step, count: r.count, imagesPerSecond: perSecond, [key]: r.mean, standardError: r.standardError };
    if (flags.json) printJson(figures);
    else info(`${key} = ${r.mean.toFixed(4)} ± ${r.standardError.toFixed(4)} over ${r.count} examples (step ${r.step}, ${backend.active})`);
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
