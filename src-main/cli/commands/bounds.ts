/**
 * `flowstudio bounds --data SPEC [--split train|test] [--limit N] [--method auto|exact|stationary] [--held-out] [--json]`:
 * the `bounds` command: the reference bounds of Sec. 2 for a dataset split (PPCA / linear-flow
 * optimum and the QLF optimum of Eq. 6, see docs/theory.md). Human lines go to stderr; with
 * --json the last stdout line is one JSON object (the protocol's Bounds plus the secondary
 * estimates).
 */
import type { Command } from 'commander';
import { prepare } from '../engine';
import { showEvents } from '../events';
import { FlagArgs, type Numeric, numeric } from '../flagArgs';
import { info, printJson } from '../output';

type BoundsFlags = { data: string; split: string; limit?: Numeric; method: string; heldOut?: boolean; json?: boolean };

export async function runBoundsCommand(flags: BoundsFlags): Promise<void> {
  const fields = { data: 'data', split: 'split', limit: 'limit', method: 'method', heldOut: 'heldOut' };
  const { engine, args } = await prepare('bounds', FlagArgs.from(flags, fields));
  const stop = showEvents(engine, { progress: true, levels: ['warn', 'error'] });
  let bounds;
  try {
    bounds = await engine.invoke('bounds', args);
  } finally {
    stop();
  }
  const { detail, ...figures } = bounds;
  if (!detail) throw new Error('the engine answered bounds without their detail');
  info(`${flags.data} ${bounds.split}: ${bounds.count} examples, d = ${bounds.dims} (backend ${detail.backend}, ${detail.seconds.toFixed(1)} s)`);
  info(`  PPCA / linear-flow optimum (${detail.ppcaMethod}): ${bounds.ppcaBpd.toFixed(4)} bits/dim`);
  if (detail.ppcaMethod === 'exact') info(`  stationary (DFT) upper bound:         ${detail.stationaryPpcaBpd.toFixed(4)} bits/dim`);
  if (bounds.heldOutPpcaBpd !== undefined) info(`  train-fitted Gaussian on this split:  ${bounds.heldOutPpcaBpd.toFixed(4)} bits/dim`);
  info(`  QLF optimum, Eq. 6 (periodogram):     ${bounds.qlfBpd.toFixed(4)} bits/dim`);
  info(`  QLF, literal S = x xT + I/12:         ${detail.qlfLiteralBpd.toFixed(4)} bits/dim (vacuous, see docs/theory.md)`);
  if (flags.json) {
    printJson({
      ...figures,
      ppcaMethod: detail.ppcaMethod,
      stationaryPpcaBpd: detail.stationaryPpcaBpd,
      qlfLiteralBpd: detail.qlfLiteralBpd,
      data: flags.data,
      backend: detail.backend,
      seconds: Math.round(detail.seconds * 10) / 10,
    });
  }
}

export function registerBounds(program: Command): void {
  program
    .command('bounds')
    .description('reference bounds of a dataset: PPCA / linear-flow optimum and the QLF optimum (Eq. 6), in bits/dim')
    .requiredOption('--data <spec>', 'data spec, e.g. fashion-mnist:/usr/share/datasets/fashion-mnist')
    .option('--split <split>', 'train or test', 'train')
    .option('--limit <n>', 'use only the first n examples of the split', numeric)
    .option('--method <method>', 'PPCA method: auto (exact up to d = 3072), exact, stationary', 'auto')
    .option('--held-out', 'with --split test: also the Gaussian fitted on the full train split, evaluated on the test split')
    .option('--json', 'print one JSON object as the last stdout line')
    .action((flags: BoundsFlags) => runBoundsCommand(flags));
}
