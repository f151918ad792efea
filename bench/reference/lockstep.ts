/**
 * Lockstep training against the PyTorch reference (a benchmark-side check, not a test): the
 * engine trains fashion-mnist-small for `steps` steps from its initialisation (the bench's loop,
 * engineTrain.ts, without diagnostics; the preset's memory mode), recording every batch it saw
 * after dequantisation; lockstep.py trains the same initial weights on the same batches in float64 with the same
 * Adamax and lr schedule. Prints one JSON line: the loss of each step on both sides, the largest
 * difference, and the relative difference of the final weights.
 * `tsx bench/reference/lockstep.ts [steps] [seed] [batch] [warmupSteps]`.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { memoryModeOf, resolveRunConfig } from '../../src-shared/config';
import { initBackend } from '../../src-main/engine/backend';
import { initialWeights, trainEngine } from './engineTrain';
import { FASHION_MNIST, PYTHON, relativeError } from './parity';
import { readTensorFolder, writeTensorFolder } from './tensors';

async function main(): Promise<void> {
  const [steps = 20, seed = 0, batch = 16, warmup = 500] = process.argv.slice(2).map(Number);
  await initBackend('wasm');
  const config = resolveRunConfig('fashion-mnist-small', { data: `fashion-mnist:${FASHION_MNIST}`, train: { learningRate: { warmupSteps: warmup } } });
  const dir = mkdtempSync(join(tmpdir(), 'flowstudio-lockstep-'));
  try {
    const params = await initialWeights(config, seed);
    const run = await trainEngine(config, { seed, batch, steps, evalN: 0, record: true, diagnostics: false, finalWeights: true });
    if (run.nonFiniteSteps > 0) throw new Error(`${run.nonFiniteSteps} engine steps were not finite`);
    const losses = run.losses;
    writeTensorFolder(dir, [...params, ...run.inputs!], { model: config.model, train: config.train, steps });
    const ran = spawnSync(PYTHON, [join(import.meta.dirname, 'lockstep.py'), dir], { encoding: 'utf8', timeout: 60 * 60 * 1000 });
    if (ran.status !== 0) throw new Error(`lockstep.py failed: ${ran.stderr.slice(-1500)}`);
    const torch = readTensorFolder(join(dir, 'torch')).arrays;
    const torchLosses = Array.from(torch.get('losses')!.data);
    const finalEngine = run.final!.flatMap((a) => Array.from(a.data));
    const finalTorch = run.final!.flatMap((a) => Array.from(torch.get(a.name)!.data));
    const initial = params.flatMap((a) => Array.from(a.data));
    const moved = relativeError(finalTorch, initial);
    const round = (v: number): number => Number(v.toPrecision(4));
    process.stdout.write(
      `${JSON.stringify({
        preset: 'fashion-mnist-small',
        seed,
        batch,
        steps,
        warmupSteps: warmup,
        memory: memoryModeOf(config),
        engineLosses: losses.map(round),
        torchLosses: torchLosses.map(round),
        maxLossDifference: round(Math.max(...losses.map((l, i) => Math.abs(l - torchLosses[i]!)))),
        finalWeightsRelativeDifference: round(relativeError(finalEngine, finalTorch)),
        weightsMovedRelative: round(moved),
        loadAverage: loadavg().map((v) => Number(v.toFixed(2))),
      })}\n`,
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? error.stack : String(error)}\n`);
  process.exit(1);
});
