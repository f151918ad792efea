/**
 * The numerical guard on a run forced to diverge: the Sec. 6.2 unconstrained variant (log s
 * free, no Mexican hat) of a small toy2d model at learning rate 3 overflows within two steps
 * (measured: loss ∞ from step 2, at 3, 1.5 and 0.75 alike). The run must skip every
 * non-finite step, roll back to its last good checkpoint with the learning rate lowered, do so
 * the configured number of times, then fail with a message that says what happened, and no
 * checkpoint on disk may hold a NaN or ∞ (read back here from weights.bin itself).
 */
import { mkdtempSync, readFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { type RunConfig, resolveRunConfig } from '../../../src-shared/config';
import { openDataset } from '../../../src-main/data';
import type { Dataset } from '../../../src-main/data/types';
import { initBackend } from '../../../src-main/engine/backend';
import { createFlowModel } from '../../../src-main/engine/flow/model';
import { RunFolder } from '../../../src-main/engine/train/runFolder';
import { deriveSeed } from '../../../src-main/engine/train/seeds';
import { Trainer } from '../../../src-main/engine/train/trainer';

let dataset: Dataset;

beforeAll(async () => {
  await initBackend('cpu');
  dataset = await openDataset('toy:rings?n=2048');
});

function divergingConfig(): RunConfig {
  return resolveRunConfig('toy2d', {
    data: 'toy:rings?n=2048',
    model: { blocksPerLevel: 2, coupling: { hidden: 16 }, ablation: { unconstrained: true } },
    train: {
      steps: 60,
      batchSize: 16,
      evalEvery: 0,
      evalN: 64,
      checkpointEvery: 5,
      checkpointSeconds: 0,
      learningRate: { initial: 3, final: 3 },
      maxNonFiniteSteps: 3,
      maxRollbacks: 2,
      rollbackLrFactor: 0.5,
    },
  });
}

/** Every float32 value of every checkpoint's weights.bin is finite. */
function checkpointsFinite(dir: string): { checked: number; nonFinite: number } {
  let checked = 0;
  let nonFinite = 0;
  for (const name of readdirSync(dir).filter((n) => /^step-\d{8}$/.test(n))) {
    const bytes = readFileSync(join(dir, name, 'weights.bin'));
    const values = new Float32Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 4);
    for (const v of values) if (!Number.isFinite(v)) nonFinite += 1;
    checked += values.length;
  }
  return { checked, nonFinite };
}

describe('numerical guard', () => {
  it('skips non-finite steps, rolls back with a lower learning rate, then fails clearly; no NaN on disk', async () => {
    const config = divergingConfig();
    const folder = new RunFolder(join(mkdtempSync(join(tmpdir(), 'flowstudio-guard-')), 'run'));
    folder.create(config);
    const model = createFlowModel(config.model, { seed: deriveSeed(config.train.seed, 'init') });
    const logs: string[] = [];
    const trainer = new Trainer({ runId: 'guard', config, folder, dataset, model, backend: 'cpu', callbacks: { onLog: (level, message) => logs.push(`${level}: ${message}`) } });
    await expect(trainer.run()).rejects.toThrow(
      /^training diverged at step \d+ \(3 consecutive steps with a non-finite loss or gradient\) after 2 rollback\(s\), the learning rate ×0\.5 each time \(now ×0\.25\); the last good checkpoint is kept in .*checkpoints/,
    );
    expect(trainer.state).toBe('failed');
    expect(folder.readStatus()?.message).toMatch(/training diverged/);
    const rollbacks = logs.filter((l) => l.startsWith('warn: rollback'));
    expect(rollbacks).toHaveLength(2);
    expect(rollbacks[0]).toMatch(/rollback 1 of 2: .* back to the checkpoint of step \d+ .* with the learning rate ×0\.5$/);
    expect(rollbacks[1]).toMatch(/rollback 2 of 2: .* with the learning rate ×0\.25$/);
    // The log agrees with the last rollback: one record per step, skipped steps marked.
    const records = folder.readMetrics();
    const steps = records.map((r) => r.step);
    expect(steps).toEqual(Array.from({ length: steps.length }, (_, i) => i));
    const skipped = records.filter((r) => r.skipped);
    expect(skipped.length).toBeGreaterThanOrEqual(3);
    for (const r of skipped) expect(r.trainNll).toBeUndefined();
    expect(records.find((r) => r.rolledBackFrom !== undefined)?.lrScale).toBe(0.25);
    const disk = checkpointsFinite(folder.checkpointsDir);
    expect(disk.checked).toBeGreaterThan(0);
    expect(disk.nonFinite).toBe(0);
    // Nor did a NaN reach the live weights.
    for (const v of model.variables) for (const x of await v.data()) expect(Number.isFinite(x)).toBe(true);
    model.dispose();
    trainer.dispose();
  });

  it('without rollbacks allowed, fails at the first run of non-finite steps', async () => {
    const config = { ...divergingConfig(), train: { ...divergingConfig().train, maxRollbacks: 0 } };
    const folder = new RunFolder(join(mkdtempSync(join(tmpdir(), 'flowstudio-guard-')), 'run'));
    folder.create(config);
    const model = createFlowModel(config.model, { seed: deriveSeed(config.train.seed, 'init') });
    const trainer = new Trainer({ runId: 'guard0', config, folder, dataset, model, backend: 'cpu' });
    await expect(trainer.run()).rejects.toThrow(/after 0 rollback\(s\)/);
    expect(checkpointsFinite(folder.checkpointsDir).nonFinite).toBe(0);
    model.dispose();
    trainer.dispose();
  });
});
