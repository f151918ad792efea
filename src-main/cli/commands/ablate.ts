/**
 * `flowstudio ablate --data SPEC --steps N [--out DIR] [--seed S] [--preset P] [--batch B]
 * [--eval-n N] [--transport-weight W] [--only a,b] [--set model.FIELD=V] [--json]`: the
 * `ablate` command, the Sec. 6.2 ablation (baseline, tanh, normal CDF, L2 transport cost,
 * unconstrained; same seed), writing DIR/ablation.md with nll.png and variance.png, and one
 * run folder per variant.
 */
import type { Command } from 'commander';
import { PresetNameSchema } from '../../../src-shared/config';
import { prepare } from '../engine';
import { showEvents } from '../events';
import { FlagArgs, type Numeric, collect, numeric } from '../flagArgs';
import { info, printJson } from '../output';

type AblateFlags = {
  data: string;
  steps: Numeric;
  out?: string;
  seed: Numeric;
  preset?: string;
  batch?: Numeric;
  evalN?: Numeric;
  transportWeight?: Numeric;
  only?: string;
  set?: string[];
  json?: boolean;
};

export async function runAblateCommand(flags: AblateFlags): Promise<void> {
  const fields = { data: 'data', steps: 'steps', out: 'outDir', seed: 'seed', preset: 'preset', batch: 'batchSize', evalN: 'evalN', transportWeight: 'transportWeight' };
  const only = flags.only?.split(',').map((s) => s.trim()).filter((s) => s.length > 0);
  const built = FlagArgs.from(flags, fields).set('only', only, '--only').settings('', flags.set);
  const { engine, args, backend } = await prepare('ablate', built);
  const stop = showEvents(engine, { progress: true });
  let result;
  try {
    result = await engine.invoke('ablate', args);
  } finally {
    stop();
  }
  info(`report: ${result.reportPath}`);
  if (flags.json) {
    printJson({
      report: result.reportPath,
      nllPlot: result.nllPlot,
      variancePlot: result.variancePlot,
      unit: result.unit,
      backend: backend.active,
      variants: result.variants,
    });
  }
}

export function registerAblate(program: Command): void {
  program
    .command('ablate')
    .description('Sec. 6.2 ablation: baseline, tanh, normal CDF, L2 transport cost, unconstrained (same seed); markdown report and PNG plots')
    .requiredOption('--data <spec>', 'data spec, e.g. fashion-mnist:/usr/share/datasets/fashion-mnist or toy:two-moons')
    .requiredOption('--steps <n>', 'optimisation steps per variant', numeric)
    .option('--out <dir>', 'fresh output folder (default ablation-<time> in the runs folder)')
    .option('--seed <n>', 'seed shared by every variant', numeric, 0)
    .option('--preset <name>', `model preset (default from the data format): ${PresetNameSchema.options.join(', ')}`)
    .option('--batch <n>', 'batch size', numeric)
    .option('--eval-n <n>', 'test examples for the final test NLL', numeric)
    .option('--transport-weight <w>', 'weight of the L2 transport cost (default 0.1)', numeric)
    .option('--only <names>', 'comma-separated subset of variants')
    .option('--set <model.field=value>', 'a model override for every variant, e.g. --set model.blocksPerLevel=2 (repeatable)', collect)
    .option('--json', 'print one JSON object with the outcomes as the last stdout line')
    .action((flags: AblateFlags) => runAblateCommand(flags));
}
