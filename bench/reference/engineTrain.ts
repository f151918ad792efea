/**
 * The engine's side of `npm run bench -- --reference` and of lockstep.ts: the training loop of
 * train/trainer.ts without run folders or checkpoints (seeded batch stream, dequantisation per
 * step, the lr schedule with its warm-up, per-layer diagnostics every `diagnosticsEvery` steps,
 * the run's memory mode), timed per step, then the test bpd of the first `evalN` test images.
 * With `record`, every dequantised input it trained on (`x:<step>`) and evaluated on
 * (`eval:<i>`) comes back as tensor-folder arrays, so PyTorch can train and evaluate on exactly
 * the same inputs (train.py --stream, lockstep.py). Also gives the model's initial weights.
 */
import { type RunConfig, memoryModeOf } from '../../src-shared/config';
import type { Dataset } from '../../src-main/data/types';
import { openDataset } from '../../src-main/data';
import { createFlowModel } from '../../src-main/engine/flow/model';
import type { FlowModel } from '../../src-main/engine/flow/types';
import { tf } from '../../src-main/engine/tf';
import { Adamax } from '../../src-main/engine/train/adamax';
import { evaluate } from '../../src-main/engine/train/evaluate';
import { batchToInput, perExampleLoss } from '../../src-main/engine/train/objective';
import { learningRateAt } from '../../src-main/engine/train/schedule';
import { deriveSeed } from '../../src-main/engine/train/seeds';
import { optimisationStep } from '../../src-main/engine/train/step';
import { startDataParallel } from '../../src-main/engine/runs/dataParallelRun';
import { type NamedArray, writeTensorFolder } from './tensors';

export interface TrainOptions {
  seed: number;
  batch: number;
  steps: number;
  evalN: number;
  /** Return the dequantised training and evaluation inputs (reading them costs time: not for speed rounds). */
  record?: boolean;
  /** Per-layer diagnostics every `diagnosticsEvery` steps as the trainer does (default true). */
  diagnostics?: boolean;
  /** Return the weights after the last step (`final:<name>`). */
  finalWeights?: boolean;
}

export interface EngineRun {
  /** Processes each step ran on (data-parallel workers, as the CLI and the app train; 1: one process). */
  workers: number;
  stepSeconds: number[];
  losses: number[];
  lastLoss: number;
  /** Steps whose loss or gradient was not finite (the engine discards them). */
  nonFiniteSteps: number;
  testBpd?: number;
  /** With `record`: `x:<step>` then `eval:<i>`. */
  inputs?: NamedArray[];
  final?: NamedArray[];
}

async function weightsOf(model: FlowModel, prefix: string): Promise<NamedArray[]> {
  const arrays: NamedArray[] = [];
  for (let i = 0; i < model.variables.length; i++) {
    arrays.push({ name: `${prefix}${model.parameterNames[i]}`, shape: model.variables[i]!.shape, data: (await model.variables[i]!.data()) as Float32Array });
  }
  return arrays;
}

/** The initial weights of `config` at `seed` (what createFlowModel gives the trainer) as `param:*` arrays. */
export async function initialWeights(config: RunConfig, seed: number): Promise<NamedArray[]> {
  const model = createFlowModel(config.model, { seed });
  try {
    return await weightsOf(model, 'param:');
  } finally {
    model.dispose();
  }
}

/** The initial weights for train.py, alone in a tensor folder with the configs. */
export async function writeInitialWeights(dir: string, config: RunConfig, seed: number): Promise<void> {
  writeTensorFolder(dir, await initialWeights(config, seed), { model: config.model, train: config.train });
}

/**
 * Mean test bpd on the first `evalN` test images, recording the inputs. The noise is
 * evaluate()'s (seed deriveSeed(seed, 'eval') + batch index, batches of 100), so the number is
 * the one evaluate() gives; it is computed here on the recorded tensors themselves so that the
 * engine's figure and torch's are over the very same array.
 */
async function evaluateRecorded(model: FlowModel, config: RunConfig, dataset: Dataset, evalN: number, seed: number, inputs: NamedArray[]): Promise<number> {
  let sum = 0;
  let count = 0;
  let index = 0;
  for await (const batch of dataset.batches('test', { batchSize: 100, seed: 0, shuffle: false, epochs: 1, dropLast: false, limit: evalN })) {
    const x = batchToInput(batch, config.model, deriveSeed(seed, 'eval') + index);
    try {
      inputs.push({ name: `eval:${index}`, shape: x.shape, data: (await x.data()) as Float32Array });
      const loss = tf.tidy(() => perExampleLoss(model, config.model, x).loss);
      for (const v of await loss.data()) sum += v;
      loss.dispose();
    } finally {
      x.dispose();
    }
    count += batch.n;
    index += 1;
  }
  return sum / count;
}

/** Trains `steps` steps at `batch` from the initialisation of `seed`; evaluates when evalN > 0. */
export async function trainEngine(config: RunConfig, options: TrainOptions): Promise<EngineRun> {
  const { seed, batch, steps, evalN } = options;
  const train = config.train;
  const model = createFlowModel(config.model, { seed });
  const optimizer = new Adamax(train.adamax);
  const dataset = await openDataset(config.data);
  // The product's default: data-parallel workers on a CPU backend (FLOWSTUDIO_WORKERS sets them).
  const parallel = startDataParallel({ ...config, train: { ...train, batchSize: batch } }, seed);
  await parallel?.whenReady();
  const run: EngineRun = { workers: parallel?.size ?? 1, stepSeconds: [], losses: [], lastLoss: Number.NaN, nonFiniteSteps: 0 };
  const inputs: NamedArray[] | undefined = options.record ? [] : undefined;
  try {
    const stream = dataset.batches('train', { batchSize: batch, seed, shuffle: true, dropLast: true })[Symbol.asyncIterator]();
    for (let step = 0; step < steps; step++) {
      const started = performance.now();
      const next = await stream.next();
      if (next.done) throw new Error('the training stream ended');
      const x = batchToInput(next.value, config.model, deriveSeed(seed, 'dequantize', step));
      try {
        if (inputs) inputs.push({ name: `x:${step}`, shape: x.shape, data: (await x.data()) as Float32Array });
        const stats = await optimisationStep({
          model,
          config: config.model,
          optimizer,
          x,
          lr: learningRateAt(step, train.learningRate),
          withDiagnostics: (options.diagnostics ?? true) && (step + 1) % train.diagnosticsEvery === 0,
          memory: memoryModeOf(config),
          gradients: parallel?.compute,
        });
        run.losses.push(stats.loss);
        run.lastLoss = stats.loss;
        if (!stats.finite) run.nonFiniteSteps += 1;
      } finally {
        x.dispose();
      }
      run.stepSeconds.push((performance.now() - started) / 1000);
    }
    if (options.finalWeights) run.final = await weightsOf(model, 'final:');
    if (evalN > 0 && inputs) {
      run.testBpd = await evaluateRecorded(model, config, dataset, evalN, seed, inputs);
    } else if (evalN > 0) {
      const evaluated = await evaluate({ model, config: config.model, dataset, split: 'test', limit: evalN, batchSize: 100, seed: deriveSeed(seed, 'eval') });
      run.testBpd = evaluated.mean;
    }
    if (inputs) run.inputs = inputs;
    return run;
  } finally {
    await parallel?.close();
    optimizer.dispose();
    model.dispose();
    await dataset.close();
  }
}
