/** Run folders and checkpoints on real files: atomic writes, torn lines, corrupt checkpoints. */
import { appendFileSync, existsSync, mkdtempSync, readFileSync, readdirSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { resolveRunConfig } from '../../../src-shared/config';
import { initBackend } from '../../../src-main/engine/backend';
import { tf } from '../../../src-main/engine/tf';
import { assignVariables, loadLatestCheckpoint, saveCheckpoint } from '../../../src-main/engine/train/checkpoint';
import { RunFolder, listRunFolders } from '../../../src-main/engine/train/runFolder';
import { decimateMetrics } from '../../../src-main/engine/runs/decimate';

beforeAll(async () => {
  await initBackend('cpu');
});

const tmp = (): string => mkdtempSync(join(tmpdir(), 'flowstudio-run-'));

describe('run folder', () => {
  it('creates, refuses to overwrite, and reads back its config', () => {
    const folder = new RunFolder(join(tmp(), 'a'));
    const config = resolveRunConfig('toy2d', { data: 'toy:rings' });
    folder.create(config);
    expect(folder.readConfig()).toEqual(config);
    expect(() => folder.create(config)).toThrow(/already holds a run/);
    expect(listRunFolders(join(folder.dir, '..')).map((f) => f.dir)).toEqual([folder.dir]);
  });

  it('skips a torn last metrics line and truncates redone steps', () => {
    const folder = new RunFolder(join(tmp(), 'b'));
    folder.create(resolveRunConfig('toy2d'));
    for (let step = 1; step <= 5; step++) folder.appendMetrics({ step, time: step, trainNll: 3 - step / 10 });
    appendFileSync(folder.metricsPath, '{"step": 6, "time": 6, "trainN');
    expect(folder.readMetrics().map((r) => r.step)).toEqual([1, 2, 3, 4, 5]);
    folder.truncateMetricsAfter(3);
    expect(folder.readMetrics().map((r) => r.step)).toEqual([1, 2, 3]);
    // The torn line is gone from the file itself: the next append starts on a line of its own.
    folder.appendMetrics({ step: 4, time: 4, trainNll: 2 });
    expect(readFileSync(folder.metricsPath, 'utf8').split('\n').filter((l) => l !== '').map((l) => (JSON.parse(l) as { step: number }).step)).toEqual([1, 2, 3, 4]);
    // A step logged twice (a redone step) keeps its last record.
    folder.appendMetrics({ step: 4, time: 5, trainNll: 1 });
    folder.truncateMetricsAfter(10);
    expect(folder.readMetrics().map((r) => [r.step, r.time])).toEqual([[1, 1], [2, 2], [3, 3], [4, 5]]);
  });

  it('names a corrupt config', () => {
    const folder = new RunFolder(join(tmp(), 'c'));
    folder.create(resolveRunConfig('toy2d'));
    writeFileSync(folder.configPath, '{"preset": "toy2d"}');
    expect(() => folder.readConfig()).toThrow(/config\.json is not a valid run config/);
  });
});

describe('checkpoints', () => {
  it('round-trips variables and keeps the previous checkpoint when a save is interrupted', async () => {
    const dir = join(tmp(), 'checkpoints');
    const w = tf.variable(tf.tensor2d([[1, 2], [3, 4]]), true, 'ckpt-w');
    await saveCheckpoint(dir, { step: 10, optimizerIterations: 10, position: { epoch: 1, offset: 64 }, backend: 'cpu' }, { 'ckpt-w': w });
    w.assign(tf.tensor2d([[5, 6], [7, 8]]));
    await saveCheckpoint(dir, { step: 20, optimizerIterations: 20, position: { epoch: 2, offset: 0 }, backend: 'cpu' }, { 'ckpt-w': w });
    await saveCheckpoint(dir, { step: 30, optimizerIterations: 30, position: { epoch: 2, offset: 64 }, backend: 'cpu' }, { 'ckpt-w': w }, 2);
    expect(readdirSync(dir).filter((n) => n.startsWith('step-')).sort()).toEqual(['step-00000020', 'step-00000030']);
    // A crash mid-save leaves a .partial folder; latest still points at a complete checkpoint.
    writeFileSync(join(dir, 'step-00000040.partial'), 'garbage');
    const loaded = (await loadLatestCheckpoint(dir))!;
    expect(loaded.step).toBe(30);
    expect(loaded.position).toEqual({ epoch: 2, offset: 64 });
    const target = tf.variable(tf.zeros([2, 2]), true, 'ckpt-w-target');
    assignVariables([target], ['ckpt-w'], loaded.tensors, loaded.dir);
    expect(Array.from(target.dataSync())).toEqual([5, 6, 7, 8]);
  });

  it('names a truncated weights file and a missing variable', async () => {
    const dir = join(tmp(), 'checkpoints');
    const w = tf.variable(tf.ones([8]), true, 'ckpt-t');
    const path = await saveCheckpoint(dir, { step: 1, optimizerIterations: 1, position: { epoch: 0, offset: 8 }, backend: 'cpu' }, { 'ckpt-t': w });
    const loaded = (await loadLatestCheckpoint(dir))!;
    const other = tf.variable(tf.ones([8]), true, 'not-saved');
    expect(() => assignVariables([other], ['not-saved'], loaded.tensors, loaded.dir)).toThrow(/no value for parameter "not-saved"/);
    truncateSync(join(path, 'weights.bin'), 10);
    await expect(loadLatestCheckpoint(dir)).rejects.toThrow(/no usable checkpoint .*weights\.bin has 10 bytes, expected 32/);
    expect(existsSync(join(dir, 'latest.json'))).toBe(true);
  });
});

describe('metric decimation', () => {
  it('keeps every evaluation and the last record within the budget', () => {
    const records = Array.from({ length: 10_000 }, (_, i) => ({ step: i + 1, time: i, trainBpd: 5, ...(i % 1000 === 0 ? { testBpd: 4 } : {}) }));
    const thin = decimateMetrics(records, 500);
    expect(thin.length).toBeLessThanOrEqual(500);
    expect(thin.filter((r) => r.testBpd !== undefined).length).toBe(10);
    expect(thin[thin.length - 1]!.step).toBe(10_000);
  });
});
