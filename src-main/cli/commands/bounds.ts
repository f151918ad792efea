/**
 * `flowstudio bounds --data SPEC [--split train|test] [--limit N] [--method auto|exact|stationary] [--held-out] [--json]`:
 * the reference bounds of Sec. 2 for a dataset split (PPCA / linear-flow optimum and the QLF
 * optimum of Eq. 6, see docs/theory.md). Human lines go to stderr; with --json the last stdout
 * line is one JSON object (the protocol's Bounds plus the secondary estimates).
 */
import type { Command } from 'commander';
import { createProgressBar } from '../progressBar';
import { runBounds } from '../../engine/experiments/runBounds';
import { info, intFlag, printJson } from '../output';

export interface BoundsFlags {
  data: string;
  split: string;
  limit?: string;
  method: string;
  heldOut?: boolean;
  json?: boolean;
}

export async function runBoundsCommand(flags: BoundsFlags): Promise<void> {
  if (flags.split !== 'train' && flags.split !== 'test') throw new Error(`--split must be train or test, got "${flags.split}"`);
  if (flags.method !== 'auto' && flags.method !== 'exact' && flags.method !== 'stationary') {
    throw new Error(`--method must be auto, exact or stationary, got "${flags.method}"`);
  }
  const limit = intFlag('limit', flags.limit, 1);
  const bar = createProgressBar();
  let report;
  try {
    report = await runBounds({
      data: flags.data,
      split: flags.split,
      method: flags.method,
      heldOut: Boolean(flags.heldOut),
      ...(limit !== undefined ? { limit } : {}),
      onProgress: bar.onProgress,
      onWarning: (message) => info(`warning: ${message}`),
    });
  } finally {
    bar.stop();
  }
  const { bounds, detail } = report;
  info(`${report.dataset} ${bounds.split}: ${bounds.count} examples, d = ${bounds.dims} (backend ${report.backend}, ${report.seconds.toFixed(1)} s)`);
  info(`  PPCA / linear-flow optimum (${detail.ppcaMethod}): ${detail.ppcaBpd.toFixed(4)} bits/dim`);
  if (detail.ppcaMethod === 'exact') info(`  stationary (DFT) upper bound:         ${detail.stationaryPpcaBpd.toFixed(4)} bits/dim`);
  if (detail.heldOutPpcaBpd !== undefined) info(`  train-fitted Gaussian on this split:  ${detail.heldOutPpcaBpd.toFixed(4)} bits/dim`);
  info(`  QLF optimum, Eq. 6 (periodogram):     ${detail.qlfBpd.toFixed(4)} bits/dim`);
  info(`  QLF, literal S = x xT + I/12:         ${detail.qlfLiteralBpd.toFixed(4)} bits/dim (vacuous, see docs/theory.md)`);
  if (flags.json) {
    printJson({
      ...bounds,
      ppcaMethod: detail.ppcaMethod,
      stationaryPpcaBpd: detail.stationaryPpcaBpd,
      qlfLiteralBpd: detail.qlfLiteralBpd,
      ...(detail.heldOutPpcaBpd !== undefined ? { heldOutPpcaBpd: detail.heldOutPpcaBpd } : {}),
      data: flags.data,
      backend: report.backend,
      seconds: Math.round(report.seconds * 10) / 10,
    });
  }
}

export function registerBounds(program: Command): void {
  program
    .command('bounds')
    .description('reference bounds of a dataset: PPCA / linear-flow optimum and the QLF optimum (Eq. 6), in bits/dim')
    .requiredOption('--data <spec>', 'data spec, e.g. fashion-mnist:/usr/share/datasets/fashion-mnist')
    .option('--split <split>', 'train or test', 'train')
    .option('--limit <n>', 'use only the first n examples of the split')
    .option('--method <method>', 'PPCA method: auto (exact up to d = 3072), exact, stationary', 'auto')
    .option('--held-out', 'with --split test: also the Gaussian fitted on the full train split, evaluated on the test split')
    .option('--json', 'print one JSON object as the last stdout line')
    .action((flags: BoundsFlags) => runBoundsCommand(flags));
}
