/**
 * `flowstudio ablate --data SPEC --steps N [--out DIR] [--seed S] [--preset P] [--batch B]
 * [--eval-n N] [--transport-weight W] [--only a,b] [--json]`: the Sec. 6.2 ablation (baseline,
 * tanh, normal CDF, L2 transport cost, unconstrained; same seed), writing DIR/ablation.md with
 * nll.png and variance.png, and one run folder per variant.
 */
import { join } from 'node:path';
import type { Command } from 'commander';
import { PresetNameSchema } from '../../../src-shared/config';
import { openDataset } from '../../data';
import { initBackend } from '../../engine/backend';
import { DEFAULT_TRANSPORT_WEIGHT, runAblation } from '../../engine/experiments/ablation';
import { info, intFlag, numberFlag, printJson } from '../output';

interface AblateFlags {
  data: string;
  steps: string;
  out?: string;
  seed?: string;
  preset?: string;
  batch?: string;
  evalN?: string;
  transportWeight?: string;
  only?: string;
  json?: boolean;
}

export async function runAblateCommand(flags: AblateFlags): Promise<void> {
  const steps = intFlag('steps', flags.steps, 1)!;
  const seed = intFlag('seed', flags.seed, 0, 2 ** 31 - 1);
  const batchSize = intFlag('batch', flags.batch, 1, 65536);
  const evalN = intFlag('eval-n', flags.evalN, 1);
  const transportWeight = numberFlag('transport-weight', flags.transportWeight, 1e-9, 1e6);
  let preset;
  if (flags.preset !== undefined) {
    const parsed = PresetNameSchema.safeParse(flags.preset);
    if (!parsed.success) throw new Error(`unknown preset "${flags.preset}"; known: ${PresetNameSchema.options.join(', ')}`);
    preset = parsed.data;
  }
  const outDir = flags.out ?? join('runs', `ablation-${new Date().toISOString().replace(/[:.]/g, '-')}`);
  const backend = await initBackend();
  info(`backend: ${backend.active} (${backend.reason})`);
  let lastLine = 0;
  const result = await runAblation({
    data: flags.data,
    steps,
    outDir,
    openDataset,
    ...(seed !== undefined ? { seed } : {}),
    ...(preset !== undefined ? { preset } : {}),
    ...(batchSize !== undefined ? { batchSize } : {}),
    ...(evalN !== undefined ? { evalN } : {}),
    ...(transportWeight !== undefined ? { transportWeight } : {}),
    ...(flags.only ? { only: flags.only.split(',').map((s) => s.trim()).filter((s) => s.length > 0) } : {}),
    onLog: info,
    onStep: (variant, step, total, loss) => {
      const now = Date.now();
      if (now - lastLine < 5000 && step < total) return;
      lastLine = now;
      info(`${variant}: step ${step}/${total}${loss !== undefined ? ` loss ${loss.toFixed(4)}` : ''}`);
    },
  });
  info(`report: ${result.reportPath}`);
  if (flags.json) {
    printJson({
      report: result.reportPath,
      nllPlot: result.nllPlot,
      variancePlot: result.variancePlot,
      unit: result.unit,
      backend: backend.active,
      variants: result.outcomes.map((o) => ({
        name: o.variant.name,
        status: o.status,
        lastStep: o.lastStep,
        finalTrain: o.nll.length > 0 ? o.nll[o.nll.length - 1]!.value : null,
        finalTest: o.finalTest,
        runDir: o.runDir,
      })),
    });
  }
}

export function registerAblate(program: Command): void {
  program
    .command('ablate')
    .description('Sec. 6.2 ablation: baseline, tanh, normal CDF, L2 transport cost, unconstrained (same seed); markdown report and PNG plots')
    .requiredOption('--data <spec>', 'data spec, e.g. fashion-mnist:/usr/share/datasets/fashion-mnist or toy:two-moons')
    .requiredOption('--steps <n>', 'optimisation steps per variant')
    .option('--out <dir>', 'fresh output folder (default runs/ablation-<time>)')
    .option('--seed <n>', 'seed shared by every variant', '0')
    .option('--preset <name>', `model preset (default from the data format): ${PresetNameSchema.options.join(', ')}`)
    .option('--batch <n>', 'batch size')
    .option('--eval-n <n>', 'test examples for the final test NLL')
    .option('--transport-weight <w>', `weight of the L2 transport cost (default ${DEFAULT_TRANSPORT_WEIGHT})`)
    .option('--only <names>', 'comma-separated subset of variants')
    .option('--json', 'print one JSON object with the outcomes as the last stdout line')
    .action((flags: AblateFlags) => runAblateCommand(flags));
}
