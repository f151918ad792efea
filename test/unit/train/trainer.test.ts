/**
 * The training loop on real toy data (the data module's two-moons) with a flow whose optimum is
 * known in closed form: it must approach that optimum, resume exactly, obey pause/stop, write
 * the run folder, and not leak tensors.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { type RunConfig, resolveRunConfig } from '../../../src-shared/config';
import { openDataset } from '../../../src-main/data';
import type { Dataset } from '../../../src-main/data/types';
import { initBackend } from '../../../src-main/engine/backend';
import { tf } from '../../../src-main/engine/tf';
import { RunFolder } from '../../../src-main/engine/train/runFolder';
import { Trainer } from '../../../src-main/engine/train/trainer';
import { createAffineFlow } from '../../helpers/affineFlow';

let dataset: Dataset;

beforeAll(async () => {
  await initBackend('cpu');
  dataset = await openDataset('toy:two-moons?n=4096');
});

function config(steps: number, extra: Partial<RunConfig['train']> = {}): RunConfig {
  return resolveRunConfig('toy2d', {
    data: 'toy:two-moons?n=4096',
    train: { steps, batchSize: 256, evalEvery: 0, evalN: 1024, checkpointEvery: 0, diagnosticsEvery: 5, seed: 3, ...extra },
  });
}

function makeTrainer(cfg: RunConfig, dir: string, create = true): Trainer {
  const folder = new RunFolder(dir);
  if (create) folder.create(cfg);
  return new Trainer({ runId: 'test', config: cfg, folder, dataset, model: createAffineFlow([2]), backend: 'cpu' });
}

/** Closed-form optimum of a diagonal Gaussian on the test points: ½ Σ_d (log 2πσ_d² + 1). */
async function gaussianOptimumNll(): Promise<number> {
  const stream = dataset.batches('test', { batchSize: 1024, seed: 0, shuffle: false, epochs: 1, limit: 1024 });
  const { value } = await stream[Symbol.asyncIterator]().next();
  const pts = value!.data as Float32Array;
  let nll = 0;
  for (let d = 0; d < 2; d++) {
    let m = 0;
    let v = 0;
    const n = pts.length / 2;
    for (let i = 0; i < n; i++) m += pts[2 * i + d]! / n;
    for (let i = 0; i < n; i++) v += (pts[2 * i + d]! - m) ** 2 / n;
    nll += 0.5 * (Math.log(2 * Math.PI * v) + 1);
  }
  return nll;
}

const tmp = (): string => mkdtempSync(join(tmpdir(), 'flowstudio-trainer-'));

describe('Trainer', () => {
  it('lowers the test NLL to the analytic optimum of its model family', async () => {
    const trainer = makeTrainer(config(400), join(tmp(), 'run'));
    const summary = await trainer.run();
    const optimum = await gaussianOptimumNll();
    expect(summary.state).toBe('finished');
    expect(summary.steps).toBe(400);
    expect(summary.initialTest!).toBeGreaterThan(optimum + 0.5);
    expect(summary.finalTest!).toBeGreaterThanOrEqual(optimum - 0.02);
    expect(summary.finalTest!).toBeLessThan(optimum + 0.05);
    const records = trainer.folder.readMetrics();
    expect(records[0]).toMatchObject({ step: 0, testNll: summary.initialTest });
    expect(records.filter((r) => r.layerLogdet?.length === 1).length).toBe(80);
    // The final record checks the round trip on test examples.
    expect(records[records.length - 1]!.invertibilityError).toBeLessThan(1e-5);
    expect(trainer.folder.readStatus()?.state).toBe('finished');
    trainer.model.dispose();
    trainer.dispose();
  });

  it('resumes from a checkpoint to exactly the weights of an uninterrupted run', async () => {
    const straight = makeTrainer(config(30, { checkpointEvery: 10 }), join(tmp(), 'straight'));
    await straight.run();
    const dir = join(tmp(), 'resumed');
    const first = makeTrainer(config(30, { checkpointEvery: 10 }), dir);
    // Stop after step 12: the last checkpoint is step 12 (stop saves one).
    const stopAt = 12;
    const run = first.run();
    while (first.step < stopAt) await new Promise((r) => setImmediate(r));
    first.stop();
    await run;
    expect(first.state).toBe('stopped');
    const resumed = makeTrainer(config(30, { checkpointEvery: 10 }), dir, false);
    expect(await resumed.restore()).toBe(true);
    expect(resumed.step).toBe(first.step);
    await resumed.run();
    const a = straight.model.variables.map((v) => Array.from(v.dataSync()));
    const b = resumed.model.variables.map((v) => Array.from(v.dataSync()));
    expect(b).toEqual(a);
    // The log holds each step once.
    const steps = resumed.folder.readMetrics().filter((r) => r.trainNll !== undefined).map((r) => r.step);
    expect(steps).toEqual(Array.from({ length: 30 }, (_, i) => i + 1));
    // Exactly one record per step, the initial evaluation at 0 and the final one on step 30's.
    expect(resumed.folder.readMetrics().map((r) => r.step)).toEqual(Array.from({ length: 31 }, (_, i) => i));
    for (const t of [straight, first, resumed]) {
      t.model.dispose();
      t.dispose();
    }
  });

  it('pauses between steps and resumes', async () => {
    const trainer = makeTrainer(config(1000), join(tmp(), 'pause'));
    const states: string[] = [];
    const run = trainer.run();
    while (trainer.step < 3) await new Promise((r) => setImmediate(r));
    trainer.pause();
    states.push(trainer.state);
    const pausedAt = trainer.step;
    await new Promise((r) => setTimeout(r, 200));
    expect(trainer.step).toBeLessThanOrEqual(pausedAt + 1);
    trainer.resume();
    states.push(trainer.state);
    while (trainer.step < pausedAt + 5) await new Promise((r) => setImmediate(r));
    trainer.stop();
    const summary = await run;
    expect(states).toEqual(['paused', 'running']);
    expect(summary.state).toBe('stopped');
    expect(summary.steps).toBeLessThan(1000);
    trainer.model.dispose();
    trainer.dispose();
  });

  it('keeps the tensor count flat across steps', async () => {
    const trainer = makeTrainer(config(200), join(tmp(), 'memory'));
    const counts = new Map<number, number>();
    const run = trainer.run();
    while (trainer.state !== 'finished') {
      if (trainer.step === 10 || trainer.step === 200) counts.set(trainer.step, tf.memory().numTensors);
      await new Promise((r) => setImmediate(r));
    }
    await run;
    expect(counts.get(10)).toBeDefined();
    expect(counts.get(200)).toBe(counts.get(10));
    trainer.model.dispose();
    trainer.dispose();
  });
});
