/**
 * Lockstep training against the PyTorch reference (a benchmark-side check, not a test): the
 * engine trains fashion-mnist-small for `steps` steps from its initialisation (its own loop:
 * engineTrain.ts, the preset's memory mode), recording every batch it saw after dequantisation;
 * lockstep.py trains the same initial weights on the same batches in float64 with the same
 * Adamax and lr schedule. Prints one JSON line: the loss of each step on both sides, the largest
 * difference, and the relative difference of the final weights.
 * `tsx bench/reference/lockstep.ts [steps] [seed] [batch] [warmupSteps]`.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { memoryModeOf, resolveRunConfig } from '../../src-shared/config';
import { openDataset } from '../../src-main/data';
import { initBackend } from '../../src-main/engine/backend';
import { createFlowModel } from '../../src-main/engine/flow/model';
import { Adamax } from '../../src-main/engine/train/adamax';
import { batchToInput } from '../../src-main/engine/train/objective';
import { learningRateAt } from '../../src-main/engine/train/schedule';
import { deriveSeed } from '../../src-main/engine/train/seeds';
import { optimisationStep } from '../../src-main/engine/train/step';
import { FASHION_MNIST, PYTHON, relativeError } from './parity';
import { type NamedArray, readTensorFolder, writeTensorFolder } from './tensors';

async function main(): Promise<void> {
  const [steps = 20, seed = 0, batch = 16, warmup = 500] = process.argv.slice(2).map(Number);
  await initBackend('wasm');
  const config = resolveRunConfig('fashion-mnist-small', { data: `fashion-mnist:${FASHION_MNIST}`, train: { learningRate: { warmupSteps: warmup } } });
  const model = createFlowModel(config.model, { seed });
  const optimizer = new Adamax(config.train.adamax);
  const dataset = await openDataset(config.data);
  const dir = mkdtempSync(join(tmpdir(), 'flowstudio-lockstep-'));
  try {
    const arrays: NamedArray[] = [];
    for (let i = 0; i < model.variables.length; i++) arrays.push({ name: `param:${model.parameterNames[i]}`, shape: model.variables[i]!.shape, data: (await model.variables[i]!.data()) as Float32Array });
    const stream = dataset.batches('train', { batchSize: batch, seed, shuffle: true, dropLast: true })[Symbol.asyncIterator]();
    const losses: number[] = [];
    for (let step = 0; step < steps; step++) {
      const next = await stream.next();
      if (next.done) throw new Error('the training stream ended');
      const x = batchToInput(next.value, config.model, deriveSeed(seed, 'dequantize', step));
      arrays.push({ name: `x:${step}`, shape: x.shape, data: (await x.data()) as Float32Array });
      const stats = await optimisationStep({ model, config: config.model, optimizer, x, lr: learningRateAt(step, config.train.learningRate), withDiagnostics: false, memory: memoryModeOf(config) });
      x.dispose();
      if (!stats.finite) throw new Error(`engine step ${step} was not finite`);
      losses.push(stats.loss);
    }
    writeTensorFolder(dir, arrays, { model: config.model, train: config.train, steps });
    const ran = spawnSync(PYTHON, [join(import.meta.dirname, 'lockstep.py'), dir], { encoding: 'utf8', timeout: 60 * 60 * 1000 });
    if (ran.status !== 0) throw new Error(`lockstep.py failed: ${ran.stderr.slice(-1500)}`);
    const torch = readTensorFolder(join(dir, 'torch')).arrays;
    const torchLosses = Array.from(torch.get('losses')!.data);
    const finalEngine: number[] = [];
    const finalTorch: number[] = [];
    for (let i = 0; i < model.variables.length; i++) {
      finalEngine.push(...((await model.variables[i]!.data()) as Float32Array));
      finalTorch.push(...torch.get(`final:${model.parameterNames[i]}`)!.data);
    }
    const initial = arrays.filter((a) => a.name.startsWith('param:')).flatMap((a) => Array.from(a.data));
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
    optimizer.dispose();
    model.dispose();
    await dataset.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? error.stack : String(error)}\n`);
  process.exit(1);
});
