// @vitest-environment happy-dom
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { resolveRunConfig } from '../../src-shared/config';
import { useRunsStore } from '../../src-renderer/src/stores/runs';
import { DEFAULT_TOY_SETTINGS, REFRESH_MS, TOY_FLOWS, toyOverrides, useToyStore } from '../../src-renderer/src/stores/toy';
import { freshApp } from './helpers/setup';

beforeEach(() => {
  localStorage.clear();
  vi.useFakeTimers();
});
afterEach(() => vi.useRealTimers());

describe('toy lab store', () => {
  it('trains the toy2d preset on toy:<name> with the lab settings', async () => {
    const { engine } = freshApp();
    const toy = useToyStore();
    toy.toy = 'checkerboard';
    toy.settings = { ...DEFAULT_TOY_SETTINGS, steps: 40, blocks: 2 };
    expect(await toy.start()).toBe(true);
    expect(engine.bridge.lastArgs('startTraining')).toEqual({ preset: 'toy2d', overrides: toyOverrides('checkerboard', toy.settings) });
    const config = resolveRunConfig('toy2d', toyOverrides('checkerboard', toy.settings));
    expect(config.model.blocksPerLevel).toBe(2);
    expect(config.train.steps).toBe(40);
    expect(toy.hasToyRun).toBe(true);
  });

  it('trains the flow picked among the toy presets (the paper block and each baseline coupling)', async () => {
    const { engine } = freshApp();
    const toy = useToyStore();
    expect(TOY_FLOWS).toEqual(['toy2d', 'toy2d-glow', 'toy2d-additive', 'toy2d-nsf', 'toy2d-realnvp']);
    toy.flow = 'toy2d-nsf';
    expect(await toy.start()).toBe(true);
    expect(engine.bridge.lastArgs('startTraining')).toEqual({ preset: 'toy2d-nsf', overrides: toyOverrides(toy.toy, toy.settings) });
    // The lab's overrides are valid for every toy flow.
    for (const flow of TOY_FLOWS) expect(resolveRunConfig(flow, toyOverrides('rings', toy.settings)).preset).toBe(flow);
  });

  it('refreshes density and layers while training, at most every REFRESH_MS', async () => {
    const { engine } = freshApp();
    const runs = useRunsStore();
    runs.attach();
    const toy = useToyStore();
    await toy.start();
    toy.refresh();
    await vi.runAllTimersAsync();
    expect(toy.density?.logDensity).toHaveLength(toy.resolution ** 2);
    expect(toy.layers.length).toBe(runs.current!.layers.length + 1);
    const densityCalls = engine.bridge.count('toyDensity');
    for (let i = 0; i < 20; i++) {
      engine.tick(runs.summary!.runId, 1);
      toy.refreshThrottled();
      await vi.advanceTimersByTimeAsync(REFRESH_MS / 10);
    }
    // 20 metrics over 2 × REFRESH_MS: two refreshes, not twenty.
    expect(engine.bridge.count('toyDensity') - densityCalls).toBe(2);
    expect(engine.bridge.count('toyLayers')).toBe(engine.bridge.count('toyDensity'));
  });

  it('does not ask for toy views of an image run', async () => {
    const { engine } = freshApp();
    await useRunsStore().start('fashion-mnist-small', {});
    const toy = useToyStore();
    expect(toy.hasToyRun).toBe(false);
    toy.refresh();
    await vi.runAllTimersAsync();
    expect(engine.bridge.count('toyDensity')).toBe(0);
  });

  it('loads a sample of the toy data for the preview', async () => {
    freshApp();
    const toy = useToyStore();
    await toy.loadDataPoints();
    expect(toy.dataPoints.length).toBeGreaterThan(0);
    expect(toy.dataPoints.length % 2).toBe(0);
  });
});
