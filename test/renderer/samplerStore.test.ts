// @vitest-environment happy-dom
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { CommandArgs, CommandResult } from '../../src-shared/protocol';
import { useRunsStore } from '../../src-renderer/src/stores/runs';
import { DEFAULT_TEMPERATURE, useSamplerStore } from '../../src-renderer/src/stores/sampler';
import { freshApp } from './helpers/setup';

beforeEach(() => {
  localStorage.clear();
  vi.useFakeTimers();
});
afterEach(() => vi.useRealTimers());

async function withRun() {
  const { engine } = freshApp();
  const runs = useRunsStore();
  runs.attach();
  await runs.start('fashion-mnist-small', {});
  return { engine, runs, sampler: useSamplerStore() };
}

describe('sampler store', () => {
  it('defaults to temperature 0.9 and samples a square grid of the run on screen', async () => {
    const { engine, runs, sampler } = await withRun();
    expect(sampler.temperature).toBe(DEFAULT_TEMPERATURE);
    sampler.refreshNow();
    await vi.runAllTimersAsync();
    expect(engine.bridge.lastArgs('sample')).toEqual({ run: { runId: runs.summary!.runId }, n: 16, columns: 4, temperature: 0.9, seed: 1 });
    expect(sampler.result?.temperature).toBe(0.9);
    expect(sampler.busy).toBe(false);
  });

  it('a slider drag sends one request for where it stopped', async () => {
    const { engine, sampler } = await withRun();
    for (const t of [0.8, 0.7, 0.6, 0.5, 0.4]) {
      sampler.temperature = t;
      sampler.request();
      vi.advanceTimersByTime(50);
    }
    expect(sampler.busy).toBe(true);
    await vi.runAllTimersAsync();
    expect(engine.bridge.count('sample')).toBe(1);
    expect(sampler.result?.temperature).toBe(0.4);
    sampler.request(); // unchanged arguments: nothing to do
    await vi.runAllTimersAsync();
    expect(engine.bridge.count('sample')).toBe(1);
  });

  it('never shows an older answer over a newer one', async () => {
    const { engine, sampler } = await withRun();
    const pending: { args: CommandArgs<'sample'>; resolve: (r: CommandResult<'sample'>) => void }[] = [];
    const real = engine.bridge.handlers.sample!;
    engine.bridge.handlers.sample = (args) => new Promise((resolve) => pending.push({ args, resolve: (r) => resolve(r) }));
    sampler.temperature = 0.3;
    sampler.refreshNow();
    sampler.temperature = 0.6;
    sampler.refreshNow(); // waits: one in flight
    sampler.temperature = 1.1;
    sampler.refreshNow(); // replaces 0.6 in the queue
    expect(pending).toHaveLength(1);
    pending[0]!.resolve(await real(pending[0]!.args));
    await vi.runAllTimersAsync();
    expect(sampler.result?.temperature).toBe(0.3);
    expect(pending.map((p) => p.args.temperature)).toEqual([0.3, 1.1]);
    pending[1]!.resolve(await real(pending[1]!.args));
    await vi.runAllTimersAsync();
    expect(sampler.result?.temperature).toBe(1.1);
  });

  it('regenerate draws a new seed and samples at once; errors show in words', async () => {
    const { engine, sampler } = await withRun();
    sampler.regenerate(() => 0.5);
    expect(sampler.seed).toBe(Math.floor(0.5 * (2 ** 31 - 1)));
    await vi.runAllTimersAsync();
    expect(engine.bridge.lastArgs('sample')?.seed).toBe(sampler.seed);
    engine.bridge.handlers.sample = () => {
      throw new Error('the model has no checkpoint yet');
    };
    sampler.temperature = 0.2;
    sampler.request();
    await vi.runAllTimersAsync();
    expect(sampler.error).toBe('Could not sample: the model has no checkpoint yet');
  });

  it('asks nothing for a 2-D toy run (no image samples; the toy lab shows it)', async () => {
    const { engine, runs, sampler } = await withRun();
    await runs.start('toy2d', {});
    sampler.refreshNow();
    await vi.runAllTimersAsync();
    expect(sampler.args).toBeNull();
    expect(engine.bridge.count('sample')).toBe(0);
  });

  it('forgets the samples of the previous run', async () => {
    const { runs, sampler } = await withRun();
    sampler.refreshNow();
    await vi.runAllTimersAsync();
    expect(sampler.result).not.toBeNull();
    await runs.start('toy2d', {});
    await vi.runAllTimersAsync();
    expect(sampler.result).toBeNull();
  });
});
