/**
 * The engine's side of `npm run bench -- --reference`: the training loop of train/trainer.ts
 * without run folders or checkpoints (seeded batch stream, dequantisation per step, the lr
 * schedule with its warm-up, per-layer diagnostics every `diagnosticsEvery` steps, the run's
 * memory mode), timed per step, then the test bpd of the first `evalN` test images. Also writes
 * the model's initial weights for the PyTorch side (train.py), so both start identical.
 */
import { type RunConfig, memoryModeOf } from '../../src-shared/config';
import { openDataset } from '../../src-main/data';
import { createFlowModel } from '../../src-main/engine/flow/model';
import { Adamax } from '../../src-main/engine/train/adamax';
import { evaluate } from '../../src-main/engine/train/evaluate';
import { batchToInput } from '../../src-main/engine/train/objective';
import { learningRateAt } from '../../src-main/engine/train/schedule';
import { deriveSeed } from '../../src-main/engine/train/seeds';
import { optimisationStep } from '../../src-main/engine/train/step';
import { startDataParallel } from '../../src-main/engine/runs/dataParallelRun';
import { type NamedArray, writeTensorFolder } from './tensors';

export interface EngineRun {
  /** Processes each step ran on (data-parallel workers, as the CLI and the app train; 1: one process). */
  workers: number;
  stepSeconds: number[];
  lastLoss: number;
  testBpd?: number;
}

/** The initial weights of `config` at `seed` (what createFlowModel gives the trainer), for train.py. */
export async function writeInitialWeights(dir: string, config: RunConfig, seed: number): Promise<void> {
  const model = createFlowModel(config.model, { seed });
  try {
    const arrays: NamedArray[] = [];
    for (let i = 0; i < model.variables.length; i++) {
      arrays.push({ name: `param:${model.parameterNames[i]}`, shape: model.variables[i]!.shape, data: (await model.variables[i]!.data()) as Float32Array });
    }
    writeTensorFolder(dir, arrays, { model: config.model, train: config.train });
  } finally {
    model.dispose();
  }
}

/** Trains `steps` steps at `batch` from the initialisation of `seed`; evaluates when evalN > 0. */
export async function trainEngine(config: RunConfig, options: { seed: number; batch: number; steps: number; evalN: number }): Promise<EngineRun> {
  const { seed, batch, steps, evalN } = options;
  const train = config.train;
  const model = createFlowModel(config.model, { seed });
  const optimizer = new Adamax(train.adamax);
  const dataset = await openDataset(config.data);
  // The product's default: data-parallel workers on a CPU backend (FLOWSTUDIO_WORKERS sets them).
  const parallel = startDataParallel({ ...config, train: { ...train, batchSize: batch } }, seed);
  await parallel?.whenReady();
  const stepSeconds: number[] = [];
  let lastLoss = Number.NaN;
  try {
    const stream = dataset.batches('train', { batchSize: batch, seed, shuffle: true, dropLast: true })[Symbol.asyncIterator]();
    for (let step = 0; step < steps; step++) {
      const started = performance.now();
      const next = await stream.next();
      if (next.done) throw new Error('the training stream ended');
      const x = batchToInput(next.value, config.model, deriveSeed(seed, 'dequantize', step));
      try {
        const stats = await optimisationStep({
          model,
          config: config.model,
          optimizer,
          x,
          lr: learningRateAt(step, train.learningRate),
          withDiagnostics: (step + 1) % train.diagnosticsEvery === 0,
          memory: memoryModeOf(config),
          gradients: parallel?.compute,
        });
        lastLoss = stats.loss;
      } finally {
        x.dispose();
      }
      stepSeconds.push((performance.now() - started) / 1000);
    }
    const result: EngineRun = { workers: parallel?.size ?? 1, stepSeconds, lastLoss };
    if (evalN > 0) {
      const evaluated = await evaluate({ model, config: config.model, dataset, split: 'test', limit: evalN, batchSize: 100, seed: deriveSeed(seed, 'eval') });
      result.testBpd = evaluated.mean;
    }
    return result;
  } finally {
    await parallel?.close();
    optimizer.dispose();
    model.dispose();
    await dataset.close();
  }
}
