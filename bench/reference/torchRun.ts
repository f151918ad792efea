/** Runs train.py (the PyTorch side of `npm run bench -- --reference`) and reads its JSON line. */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { PYTHON } from './parity';

export interface TorchRun {
  torch: string;
  threads: number;
  stepSeconds: number[];
  lastLoss: number;
  /** Per step, with `stream` (recorded inputs) only. */
  losses?: number[];
  testBpd?: number;
}

export interface TorchArgs {
  batch: number;
  steps: number;
  evalN: number;
  seed: number;
  threads: number;
  /** Train and evaluate on the engine's recorded inputs in the folder (train.py --stream). */
  stream?: boolean;
}

export function runTorch(dir: string, args: TorchArgs): TorchRun {
  const argv = [join(import.meta.dirname, 'train.py'), dir, '--batch', String(args.batch), '--steps', String(args.steps), '--eval-n', String(args.evalN), '--seed', String(args.seed), '--threads', String(args.threads)];
  if (args.stream) argv.push('--stream');
  // OpenMP's default is to spin at its barriers: on a machine shared with other work that made
  // 2 threads 5x slower than 1 (measured under load 14); passive waiting gives torch its best.
  const env = { ...process.env, OMP_WAIT_POLICY: process.env.OMP_WAIT_POLICY ?? 'PASSIVE' };
  const result = spawnSync(PYTHON, argv, { encoding: 'utf8', env, timeout: 60 * 60 * 1000, maxBuffer: 64 * 2 ** 20 });
  if (result.status !== 0) throw new Error(`train.py failed (${result.status}): ${result.stderr.trim().slice(-1500)}`);
  return JSON.parse(result.stdout.trim().split('\n').pop()!) as TorchRun;
}
