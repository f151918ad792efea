/**
 * Does f_conv need a weight that reaches all of GL⁺? (docs/flow.md, "Which matrices the LU form
 * reaches"). Trains fashion-mnist-small twice from the same seed and batches, once with the LU
 * form (W = L(U + diag e^s): leading principal minors all positive) and once with the GL⁺ form
 * (W = exp(A)·(U + diag e^s)), and prints one JSON line: train bpd (mean of the last 10 % of
 * steps), test bpd, and for every trained W whether it lies in the LU form's reach (all leading
 * principal minors > 0) and its smallest normalised pivot. A measurement, not a test.
 *
 *   nice -n 10 npx tsx bench/convWeight.ts [steps=300] [batch=16] [testN=1000]
 */
import { openDataset } from '../src-main/data';
import { initBackend } from '../src-main/engine/backend';
import { createFlowModel } from '../src-main/engine/flow/model';
import type { Bijection } from '../src-main/engine/flow/types';
import { Adamax } from '../src-main/engine/train/adamax';
import { evaluate } from '../src-main/engine/train/evaluate';
import { batchToInput } from '../src-main/engine/train/objective';
import { learningRateAt } from '../src-main/engine/train/schedule';
import { optimisationStep } from '../src-main/engine/train/step';
import { type ConvWeight, resolveRunConfig } from '../src-shared/config';

const [steps = 300, batchSize = 16, testN = 1000] = process.argv.slice(2).map(Number);

/** Pivots of Gaussian elimination without pivoting: p_k = minor_k / minor_{k−1}. */
function pivots(w: Float64Array, n: number): number[] {
  const a = Float64Array.from(w);
  const out: number[] = [];
  for (let k = 0; k < n; k++) {
    const p = a[k * n + k]!;
    out.push(p);
    if (p === 0) break;
    for (let i = k + 1; i < n; i++) {
      const f = a[i * n + k]! / p;
      for (let j = k; j < n; j++) a[i * n + j] = a[i * n + j]! - f * a[k * n + j]!;
    }
  }
  return out;
}

async function train(convWeight: ConvWeight): Promise<object> {
  const config = resolveRunConfig('fashion-mnist-small', { model: { convWeight }, train: { batchSize } });
  const model = createFlowModel(config.model, { seed: 0 });
  const dataset = await openDataset(config.data);
  const optimizer = new Adamax(config.train.adamax);
  const stream = dataset.batches('train', { batchSize, seed: 0, shuffle: true, dropLast: true })[Symbol.asyncIterator]();
  const losses: number[] = [];
  const started = performance.now();
  for (let step = 0; step < steps; step++) {
    const batch = (await stream.next()).value!;
    const x = batchToInput(batch, config.model, 1000 + step);
    const stats = await optimisationStep({ model, config: config.model, optimizer, x, lr: learningRateAt(step, config.train.learningRate), withDiagnostics: false });
    x.dispose();
    losses.push(stats.loss);
  }
  const seconds = (performance.now() - started) / 1000;
  const test = await evaluate({ model, config: config.model, dataset, split: 'test', limit: testN, batchSize: 100, seed: 7 });
  const convs = model.bijections.filter((l): l is Bijection & { weight64(): Float64Array; size: number } => l.descriptor.kind === 'conv');
  const weights = convs.map((c) => {
    const w = c.weight64();
    const p = pivots(w, c.size);
    let norm = 0;
    for (const v of w) norm = Math.max(norm, Math.abs(v));
    return { layer: c.descriptor.name, inLuReach: p.length === c.size && p.every((v) => v > 0), smallestPivot: Math.min(...p) / norm };
  });
  const tail = losses.slice(Math.floor(steps * 0.9));
  model.dispose();
  optimizer.dispose();
  return {
    convWeight,
    trainBpd: tail.reduce((a, b) => a + b, 0) / tail.length,
    testBpd: test.mean,
    testStandardError: test.standardError,
    weightsInLuReach: weights.filter((w) => w.inLuReach).length,
    weights: weights.length,
    smallestNormalisedPivot: Math.min(...weights.map((w) => w.smallestPivot)),
    secondsPerStep: seconds / steps,
  };
}

const backend = await initBackend();
const results = [];
for (const w of ['lu', 'exp-qr'] as const) results.push(await train(w));
process.stdout.write(`${JSON.stringify({ backend: backend.active, preset: 'fashion-mnist-small', steps, batchSize, testN, results })}\n`);
