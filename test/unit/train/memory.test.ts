/**
 * Acceptance: with the paper's flow (toy2d preset: conv, dual coupling, RQ activation) the
 * tfjs tensor count after step 200 equals the count after step 10 — diagnostics, evaluation
 * and the invertibility check included.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { resolveRunConfig } from '../../../src-shared/config';
import { openDataset } from '../../../src-main/data';
import { initBackend } from '../../../src-main/engine/backend';
import { createFlowModel } from '../../../src-main/engine/flow/model';
import { tf } from '../../../src-main/engine/tf';
import { RunFolder } from '../../../src-main/engine/train/runFolder';
import { Trainer } from '../../../src-main/engine/train/trainer';

it('keeps the tensor count flat from step 10 to step 200 with the paper flow', async () => {
  await initBackend('wasm');
  const config = resolveRunConfig('toy2d', {
    data: 'toy:8gaussians?n=2048',
    train: { steps: 200, batchSize: 32, evalEvery: 100, evalN: 64, checkpointEvery: 100, diagnosticsEvery: 5 },
  });
  const folder = new RunFolder(join(mkdtempSync(join(tmpdir(), 'flowstudio-mem-')), 'run'));
  folder.create(config);
  const trainer = new Trainer({
    runId: 'mem',
    config,
    folder,
    dataset: await openDataset(config.data),
    model: createFlowModel(config.model, { seed: 1 }),
    backend: 'wasm',
  });
  const counts = new Map<number, number>();
  const run = trainer.run();
  while (trainer.state === 'running' || trainer.state === 'starting') {
    if ((trainer.step === 10 || trainer.step === 200) && !counts.has(trainer.step)) counts.set(trainer.step, tf.memory().numTensors);
    await new Promise((r) => setImmediate(r));
  }
  const summary = await run;
  expect(summary.state).toBe('finished');
  expect(counts.get(10)).toBeGreaterThan(0);
  expect(counts.get(200)).toBe(counts.get(10));
  trainer.model.dispose();
  trainer.dispose();
}, 300_000); // 200 real steps with diagnostics: ~20 s alone, several times that on a loaded CI machine
