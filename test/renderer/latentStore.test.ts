// @vitest-environment happy-dom
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { defaultLevels, useLatentStore } from '../../src-renderer/src/stores/latent';
import { useRunsStore } from '../../src-renderer/src/stores/runs';
import { freshApp } from './helpers/setup';

beforeEach(() => {
  localStorage.clear();
  vi.useFakeTimers();
});
afterEach(() => vi.useRealTimers());

async function withRun(levels = 3) {
  const { engine } = freshApp();
  const runs = useRunsStore();
  await runs.start('paper-cifar10', { data: 'cifar10:/data/c10', model: { levels, blocksPerLevel: 1 } });
  return { engine, runs, latent: useLatentStore() };
}

describe('latent studio store', () => {
  it('takes its levels and dataset from the run on screen', async () => {
    const { latent } = await withRun(3);
    expect(latent.levels).toEqual(defaultLevels(3));
    expect(latent.levels.map((l) => l.keep)).toEqual([false, true, true]);
    expect(latent.dataSpec).toBe('cifar10:/data/c10');
    expect(latent.image).toEqual({ data: 'cifar10:/data/c10', split: 'test', index: 0 });
  });

  it('a level toggle re-decodes with that level resampled', async () => {
    const { engine, latent, runs } = await withRun(3);
    latent.requestPerturb(true);
    await vi.runAllTimersAsync();
    const first = latent.perturbed!.perturbed.base64;
    latent.setLevel(2, { keep: false, temperature: 0.5 });
    latent.requestPerturb();
    await vi.runAllTimersAsync();
    expect(engine.bridge.lastArgs('perturb')).toEqual({
      run: { runId: runs.summary!.runId },
      image: { data: 'cifar10:/data/c10', split: 'test', index: 0 },
      levels: [
        { keep: false, temperature: 0.9 },
        { keep: true, temperature: 0.9 },
        { keep: false, temperature: 0.5 },
      ],
      seed: 7,
    });
    expect(latent.perturbed!.perturbed.base64).not.toBe(first);
  });

  it('Fig. 5 grid: one image per k in each row; a file works as the image too', async () => {
    const { engine, latent } = await withRun(4);
    latent.requestGrid(true);
    await vi.runAllTimersAsync();
    expect(latent.grid!.keepFirst).toHaveLength(4);
    expect(latent.grid!.resampleFirst).toHaveLength(4);
    latent.source = 'file';
    expect(latent.image).toBeNull();
    latent.file = '/home/me/face.png';
    latent.requestGrid(true);
    await vi.runAllTimersAsync();
    expect(engine.bridge.lastArgs('perturbGrid')?.image).toEqual({ file: '/home/me/face.png' });
  });

  it('interpolates between two dataset images', async () => {
    const { engine, latent } = await withRun(2);
    latent.indexB = 5;
    latent.steps = 6;
    latent.interpolate();
    await vi.runAllTimersAsync();
    expect(latent.frames).toHaveLength(6);
    expect(engine.bridge.lastArgs('interpolate')?.b).toEqual({ data: 'cifar10:/data/c10', split: 'test', index: 5 });
  });

  it('shows an engine failure next to the panel that asked', async () => {
    const { engine, latent } = await withRun(2);
    delete engine.bridge.handlers.perturbGrid;
    latent.requestGrid(true);
    await vi.runAllTimersAsync();
    expect(latent.errors.grid).toBe('command "perturbGrid" is not implemented by this engine');
    expect(latent.errors.perturb).toBeNull();
  });

  it('a new run resets levels and drops the old images', async () => {
    const { latent, runs } = await withRun(3);
    latent.requestPerturb(true);
    await vi.runAllTimersAsync();
    await runs.start('paper-cifar10', { data: 'cifar10:/data/c10', model: { levels: 2, blocksPerLevel: 1 } });
    expect(latent.levels).toHaveLength(2);
    expect(latent.perturbed).toBeNull();
  });
});
