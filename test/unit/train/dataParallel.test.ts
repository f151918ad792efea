/**
 * Data-parallel training (src-main/engine/train/parallel): worker threads computing shards of a
 * batch give the same loss, gradients, diagnostics and update as one process on the whole
 * batch, to float rounding: the whole gradient and every step's loss to 1e-5, each variable's
 * gradient within 4× the float32 noise of one process (the same rows in reverse order). Real fashion-mnist-small models, real Fashion-MNIST images, real
 * worker threads on wasm. Shards of unequal size (5 = 3 + 2, 9 = 3 + 3 + 3) check the weighting:
 * an unweighted mean of the shards' means would be off by far more than the tolerance.
 * A worker that cannot start is reported and the step still comes out right, in one process.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type MemoryMode, resolveRunConfig } from '../../../src-shared/config';
import { openDataset } from '../../../src-main/data';
import { initBackend } from '../../../src-main/engine/backend';
import { type MultiScaleFlow, createFlowModel } from '../../../src-main/engine/flow/model';
import { tf } from '../../../src-main/engine/tf';
import { Adamax } from '../../../src-main/engine/train/adamax';
import { type LossAndGradients, disposeGradients, lossAndGradients } from '../../../src-main/engine/train/gradients';
import { batchToInput } from '../../../src-main/engine/train/objective';
import { DataParallelGradients } from '../../../src-main/engine/train/parallel/dataParallel';
import { optimisationStep } from '../../../src-main/engine/train/step';
import { workersForBatch } from '../../../src-main/engine/backends/workers';

const FASHION = '/usr/share/datasets/fashion-mnist';
const config = resolveRunConfig('fashion-mnist-small', { data: `fashion-mnist:${FASHION}` });
const SEED = 7;

/** ‖a − b‖ / ‖b‖ over all entries. */
function relative(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let num = 0;
  let den = 0;
  for (let i = 0; i < b.length; i++) {
    num += (a[i]! - b[i]!) ** 2;
    den += b[i]! ** 2;
  }
  return Math.sqrt(num / den);
}

async function flatGradients(model: MultiScaleFlow, r: LossAndGradients): Promise<Float32Array> {
  const flat = tf.concat(model.variables.map((v) => tf.reshape(r.grads[v.name]!, [-1])));
  const data = (await flat.data()) as Float32Array;
  flat.dispose();
  return data;
}

async function weights(model: MultiScaleFlow): Promise<Float32Array> {
  const flat = tf.concat(model.variables.map((v) => tf.reshape(v, [-1])));
  const data = (await flat.data()) as Float32Array;
  flat.dispose();
  return data;
}

async function realBatch(n: number, step: number): Promise<tf.Tensor> {
  const dataset = await openDataset(config.data);
  try {
    const stream = dataset.batches('train', { batchSize: n, seed: 3, shuffle: true, dropLast: true })[Symbol.asyncIterator]();
    for (let i = 0; i < step; i++) await stream.next();
    const next = await stream.next();
    return batchToInput(next.value!, config.model, 11 + step);
  } finally {
    await dataset.close();
  }
}

const between = (): Promise<void> => Promise.resolve();

/**
 * Weights moved off the initialisation by seeded noise. At the initialisation the activations'
 * θ have a gradient of exactly 0 in exact arithmetic (~1e-8 of rounding noise in float32), and
 * Adamax's first step turns any noise into ±lr: reversing the rows of the batch in ONE process
 * changes those entries' update by up to 0.9·lr (more than sharding does). Off the
 * initialisation every gradient is real and the update is a well-posed comparison.
 */
function offInit(m: MultiScaleFlow): MultiScaleFlow {
  m.variables.forEach((v, i) => tf.tidy(() => (v as tf.Variable).assign(tf.add(v, tf.mul(tf.randomNormal(v.shape, 0, 1, 'float32', 5 + i), 0.02)))));
  return m;
}

describe('data-parallel gradients on wasm', () => {
  const groups: DataParallelGradients[] = [];
  const models: MultiScaleFlow[] = [];
  beforeAll(async () => {
    await initBackend('wasm');
  });
  afterAll(async () => {
    await Promise.all(groups.map((g) => g.close()));
    models.forEach((m) => m.dispose());
  });
  const group = (workers: number, memory: MemoryMode, seed = SEED): DataParallelGradients => {
    const g = new DataParallelGradients({ config: config.model, seed, workers, backend: 'wasm', memory });
    groups.push(g);
    return g;
  };
  const model = (): MultiScaleFlow => {
    const m = createFlowModel(config.model, { seed: SEED });
    models.push(m);
    return m;
  };

  for (const [n, workers, memory] of [
    [5, 2, 'store'],
    [9, 3, 'recompute'],
  ] as const) {
    it(`a batch of ${n} on ${workers} workers (${memory}): loss, every gradient and the per-layer diagnostics equal one process's`, async () => {
      const m = offInit(model());
      const x = await realBatch(n, 0);
      const options = { memory, diagnostics: true };
      const whole = lossAndGradients(m, config.model, x, options);
      const g = group(workers, memory);
      await g.whenReady();
      expect(g.size).toBe(workers);
      const split = await g.compute(m, config.model, x, options, between);
      expect(g.size).toBe(workers); // no worker failed: the shards really ran in other threads
      try {
        const [wholeScalars, splitScalars] = await Promise.all([tf.stack([whole.objective, whole.nll]).data(), tf.stack([split.objective, split.nll]).data()]);
        expect(Math.abs(splitScalars[0]! - wholeScalars[0]!)).toBeLessThan(1e-5 * Math.abs(wholeScalars[0]!));
        expect(Math.abs(splitScalars[1]! - wholeScalars[1]!)).toBeLessThan(1e-5 * Math.abs(wholeScalars[1]!));
        const g1 = await flatGradients(m, whole);
        const g2 = await flatGradients(m, split);
        expect(relative(g2, g1)).toBeLessThan(1e-5);
        // Per variable too: a small variable's error would hide in the whole vector's norm. The
        // activations' θ gradients are sums that nearly cancel, so float32 rounding alone moves
        // them by ~1e-4: the bound is 4× what one process gets from the same rows reversed.
        const reversed = tf.reverse(x, 0);
        const floor = lossAndGradients(m, config.model, reversed, options);
        const g3 = await flatGradients(m, floor);
        disposeGradients(floor);
        reversed.dispose();
        let at = 0;
        for (const v of m.variables) {
          const noise = relative(g3.subarray(at, at + v.size), g1.subarray(at, at + v.size));
          expect(relative(g2.subarray(at, at + v.size), g1.subarray(at, at + v.size)), v.name).toBeLessThan(Math.max(1e-5, 4 * noise));
          at += v.size;
        }
        expect(relative(await split.layerLogdet!.data(), await whole.layerLogdet!.data())).toBeLessThan(1e-5);
        expect(relative(await split.layerVariance!.data(), await whole.layerVariance!.data())).toBeLessThan(1e-5);
      } finally {
        disposeGradients(whole);
        disposeGradients(split);
        x.dispose();
      }
    });
  }

  it('three Adamax steps on 2 workers train as one process does: every loss to 1e-5, the trained model the same', async () => {
    // Three trainings from the same weights on the same batches: one process, one process on
    // the rows reversed (its float32 noise floor: the same math, summed in another order), and
    // 2 workers.
    const runs = [offInit(model()), offInit(model()), offInit(model())];
    const optimizers = runs.map(() => new Adamax(config.train.adamax));
    const g = group(2, 'store');
    await g.whenReady();
    const start = await weights(runs[0]!);
    const counts: number[] = [];
    try {
      for (let step = 0; step < 3; step++) {
        const x = await realBatch(16, step);
        const reversed = tf.reverse(x, 0);
        const common = { config: config.model, lr: 1e-3, withDiagnostics: step === 2 };
        const a = await optimisationStep({ ...common, model: runs[0]!, optimizer: optimizers[0]!, x });
        const c = await optimisationStep({ ...common, model: runs[1]!, optimizer: optimizers[1]!, x: reversed });
        const b = await optimisationStep({ ...common, model: runs[2]!, optimizer: optimizers[2]!, x, gradients: g.compute });
        tf.dispose([x, reversed]);
        expect(b.finite).toBe(true);
        expect(Math.abs(b.loss - a.loss)).toBeLessThan(1e-5 * a.loss);
        expect(Math.abs(b.gradNorm - a.gradNorm)).toBeLessThan(Math.max(1e-5, 4 * Math.abs(c.gradNorm - a.gradNorm) / a.gradNorm) * a.gradNorm);
        if (step === 2) expect(relative(b.layerVariance!, a.layerVariance!)).toBeLessThan(Math.max(1e-5, 4 * relative(c.layerVariance!, a.layerVariance!)));
        counts.push(tf.memory().numTensors);
      }
      // The trained models: the same loss on a batch none of them saw.
      const unseen = await realBatch(16, 5);
      const after = runs.map((m) => lossAndGradients(m, config.model, unseen, { memory: 'store', diagnostics: false }));
      const [la, , lb] = await Promise.all(after.map(async (r) => (await r.nll.data())[0]!));
      after.forEach(disposeGradients);
      unseen.dispose();
      expect(Math.abs(lb! - la!)).toBeLessThan(1e-5 * la!);
      // The weights moved (by ~lr per entry and step) and by nearly the same amounts: Adamax
      // divides by |g|, so an entry whose gradient is mostly rounding noise (the activations' θ)
      // moves by a different ±lr in any two float orders; those entries are a small share.
      const moved = await Promise.all(runs.map(async (m) => (await weights(m)).map((w, i) => w - start[i]!)));
      expect(relative(moved[0]!, new Float32Array(moved[0]!.length))).toBeGreaterThan(0);
      expect(relative(moved[2]!, moved[0]!)).toBeLessThan(1e-2);
      expect(counts[2]).toBe(counts[1]);
      expect(g.size).toBe(2);
    } finally {
      optimizers.forEach((o) => o.dispose());
    }
  });

  it('a worker that cannot start is reported by name and the step is computed in this process instead', async () => {
    const m = model();
    const logs: string[] = [];
    // A seed the workers' createFlowModel refuses: their start fails, this process's model is fine.
    const g = new DataParallelGradients({ config: config.model, seed: 0.5, workers: 2, backend: 'wasm', memory: 'store', onLog: (level, message) => logs.push(`${level}: ${message}`) });
    groups.push(g);
    await expect(g.whenReady()).rejects.toThrow('seed must be an integer');
    const x = await realBatch(4, 0);
    const whole = lossAndGradients(m, config.model, x, { memory: 'store', diagnostics: false });
    const split = await g.compute(m, config.model, x, { memory: 'store', diagnostics: false }, between);
    try {
      expect(g.size).toBe(1);
      expect(logs).toEqual([expect.stringMatching(/^warn: data-parallel training stopped \(gradient worker 1: createFlowModel: seed must be an integer, got 0.5\); this run goes on in one process$/)]);
      expect(relative(await flatGradients(m, split), await flatGradients(m, whole))).toBe(0);
    } finally {
      disposeGradients(whole);
      disposeGradients(split);
      x.dispose();
    }
  });
});

describe('how many workers a run gets', () => {
  it('every core for image batches, none for shards too small to pay (toy points, tiny batches)', () => {
    expect(workersForBatch(2, 16, 784)).toBe(2); // fashion-mnist-small at batch 16: shards of 8 images
    expect(workersForBatch(8, 16, 784)).toBe(4); // no shard under 4 examples
    expect(workersForBatch(2, 4, 784)).toBe(1);
    expect(workersForBatch(2, 256, 2)).toBe(1); // toy2d: 512 numbers a batch (measured slower split)
    expect(workersForBatch(2, 2048, 2)).toBe(2);
    expect(workersForBatch(1, 64, 3072)).toBe(1);
  });
});
