// @vitest-environment happy-dom
import { beforeEach, describe, expect, it } from 'vitest';
import { LAST_RUN_KEY, PROGRESS_INTERVAL_MS, newestValues, stepRate, useRunsStore } from '../../src-renderer/src/stores/runs';
import { useSystemStore } from '../../src-renderer/src/stores/system';
import { FakeEngine } from './helpers/fakeEngine';
import { freshApp, settle } from './helpers/setup';

beforeEach(() => localStorage.clear());

const progressRefresh = (): Promise<void> => new Promise((resolve) => setTimeout(resolve, PROGRESS_INTERVAL_MS + 20));

describe('runs store', () => {
  it('starts a run, then follows its metrics and state events', async () => {
    const { engine } = freshApp();
    const runs = useRunsStore();
    runs.attach();
    expect(await runs.start('toy2d', { data: 'toy:pinwheel', train: { steps: 100 } })).toBe(true);
    const runId = runs.summary!.runId;
    expect(runs.current!.config.data).toBe('toy:pinwheel');
    expect(runs.current!.layers).toHaveLength(8 * 3);
    expect(runs.isToy).toBe(true);
    expect(runs.runRef).toEqual({ runId });

    engine.tick(runId, 30);
    expect(runs.history.length).toBe(30); // the history (charts) follows every record
    await progressRefresh(); // the numbers a person reads, ten times a second
    expect(runs.latest?.step).toBe(30);
    expect(runs.step).toBe(30);
    expect(runs.fraction).toBeCloseTo(0.3);
    expect(runs.rate).toBeCloseTo(10); // fake clock: 100 ms a step
    expect(runs.etaSeconds).toBeCloseTo(7);

    await runs.control('pause');
    expect(runs.summary!.state).toBe('paused');
    expect(runs.etaSeconds).toBeNull();
    expect(runs.active.map((r) => r.state)).toEqual(['paused']);
    engine.tick(runId, 5); // a paused engine sends nothing
    expect(runs.history.length).toBe(30);
    await runs.control('resume');
    engine.tick(runId, 70);
    expect(runs.summary!.state).toBe('finished');
    expect(runs.runRef).toEqual({ runDir: runs.summary!.runDir });
    expect(runs.onDisk.map((r) => r.runId)).toContain(runId);
    expect(runs.active).toEqual([]);
  });

  it('continues a stopped run from its folder, keeping its history', async () => {
    const { engine } = freshApp();
    const runs = useRunsStore();
    runs.attach();
    const old = engine.addRun('toy2d', 40, 'stopped');
    await runs.open({ runDir: old.summary.runDir });
    engine.bridge.handlers.startTraining = ({ runDir, resume, overrides }) => {
      expect({ runDir, resume }).toEqual({ runDir: old.summary.runDir, resume: true });
      old.summary = { ...old.summary, state: 'running', totalSteps: overrides.train?.steps ?? 0 };
      return { run: old.summary, layers: old.layers, config: old.config };
    };
    expect(await runs.continueRun(100)).toBe(true);
    expect(runs.summary).toMatchObject({ state: 'running', totalSteps: 100 });
    expect(runs.history.length).toBe(40);
    engine.tick(old.summary.runId, 2);
    expect(runs.history.last?.step).toBe(42);

    engine.bridge.handlers.startTraining = () => {
      throw new Error('no checkpoint in runs/run-1');
    };
    engine.setState(old, 'stopped');
    expect(await runs.continueRun(200)).toBe(false);
    expect(runs.continueError).toBe('Could not continue the run: no checkpoint in runs/run-1');
    expect(runs.startError).toBeNull();
  });

  it('ignores metrics of other runs', async () => {
    const { engine } = freshApp();
    const runs = useRunsStore();
    runs.attach();
    await runs.start('toy2d', {});
    const other = engine.addRun('toy2d', 0, 'running');
    engine.tick(other.summary.runId, 10);
    expect(runs.history.length).toBe(0);
  });

  it('after a reload, restores the live run with its history and keeps streaming', async () => {
    const engine = new FakeEngine();
    freshApp(engine);
    let runs = useRunsStore();
    runs.attach();
    await runs.start('fashion-mnist-small', { train: { steps: 500 } });
    const runId = runs.summary!.runId;
    engine.tick(runId, 120);

    // The window reloads: new stores, same engine.
    freshApp(engine);
    runs = useRunsStore();
    runs.attach();
    expect(runs.current).toBeNull();
    expect(await runs.restore()).toBe(true);
    expect(runs.summary!.runId).toBe(runId);
    expect(runs.history.records.map((r) => r.step)).toEqual(Array.from({ length: 120 }, (_, i) => i + 1));
    expect(runs.current!.layers.length).toBeGreaterThan(0);
    engine.tick(runId, 5);
    expect(runs.history.last?.step).toBe(125);
  });

  it('keeps metrics that arrive while openRun is in flight, without duplicates', async () => {
    const engine = new FakeEngine();
    freshApp(engine);
    const live = engine.addRun('toy2d', 50, 'running');
    const runs = useRunsStore();
    runs.attach();
    const open = runs.open({ runId: live.summary.runId });
    // The engine answered openRun with 50 records; 3 more steps stream before the answer lands.
    engine.tick(live.summary.runId, 3);
    await open;
    expect(runs.history.records.map((r) => r.step)).toEqual(Array.from({ length: 53 }, (_, i) => i + 1));
  });

  it('with no live run, reopens the run looked at last', async () => {
    const engine = new FakeEngine();
    const old = engine.addRun('fashion-mnist-small', 40, 'finished');
    engine.addRun('toy2d', 10, 'stopped');
    freshApp(engine);
    localStorage.setItem(LAST_RUN_KEY, old.summary.runDir);
    const runs = useRunsStore();
    expect(await runs.restore()).toBe(true);
    expect(runs.summary!.runDir).toBe(old.summary.runDir);
    expect(runs.history.length).toBe(40);
    localStorage.setItem(LAST_RUN_KEY, 'runs/gone');
    freshApp(engine);
    expect(await useRunsStore().restore()).toBe(false);
  });

  it('turns failures into readable notices: failed start, failed run, engine error events', async () => {
    const { engine } = freshApp();
    const runs = useRunsStore();
    const system = useSystemStore();
    runs.attach();
    system.attach();
    engine.bridge.handlers.startTraining = () => {
      throw new Error('no dataset at /nowhere');
    };
    expect(await runs.start('toy2d', {})).toBe(false);
    // Shown beside the Start button that was pressed, not as a second, global notice.
    expect(runs.startError).toBe('Could not start training: no dataset at /nowhere');
    expect(system.errors).toEqual([]);

    const run = engine.addRun('toy2d', 3, 'running');
    engine.setState(run, 'failed', 'loss became NaN at step 4');
    expect(system.errors.at(-1)?.message).toBe(`Run ${run.summary.runId} failed: loss became NaN at step 4`);

    engine.bridge.emit('error', { code: 'ENGINE_CRASHED', message: 'engine process exited with code 134', engineLost: true });
    const notice = system.errors.at(-1)!;
    expect(notice).toMatchObject({ code: 'ENGINE_CRASHED', engineLost: true });
    await system.restartEngine();
    expect(engine.bridge.count('restartEngine')).toBe(1);
    expect(system.errors.some((e) => e.engineLost)).toBe(false);
  });

  it('a command the engine does not implement yet says so', async () => {
    const { engine } = freshApp();
    delete engine.bridge.handlers.listRuns;
    const runs = useRunsStore();
    await runs.refreshList();
    expect(useSystemStore().errors.map((e) => e.message)).toEqual(['Could not list runs: command "listRuns" is not implemented by this engine']);
  });

  it('computes reference bounds once per dataset and remembers them across reloads', async () => {
    const engine = new FakeEngine();
    freshApp(engine);
    let runs = useRunsStore();
    await runs.start('fashion-mnist-small', {});
    await runs.computeBounds();
    expect(runs.bounds).toMatchObject({ qlfBpd: 2.01, ppcaBpd: 4.2 });
    freshApp(engine);
    runs = useRunsStore();
    await runs.restore();
    expect(runs.bounds).toMatchObject({ qlfBpd: 2.01 });
    expect(engine.bridge.count('bounds')).toBe(1);
  });

  it('tracks progress tasks until done', async () => {
    const { engine } = freshApp();
    const runs = useRunsStore();
    runs.attach();
    const progress = { task: 'scan', taskId: 't1', done: 5, total: 10, ratePerSecond: 1, etaSeconds: 5 };
    engine.bridge.emit('progress', progress);
    expect(runs.tasks).toEqual([progress]);
    engine.bridge.emit('progress', { ...progress, done: 10 });
    await settle();
    expect(runs.tasks).toEqual([]);
    // Tasks of a run that ended go with it, even without a last progress event.
    const run = engine.addRun('toy2d', 5, 'running');
    engine.bridge.emit('progress', { ...progress, taskId: `${run.summary.runId}:epoch`, total: null });
    expect(runs.tasks).toHaveLength(1);
    engine.setState(run, 'stopped');
    expect(runs.tasks).toEqual([]);
  });
});

describe('newestValues', () => {
  it('fills what the newest record lacks from the records before it', () => {
    const merged = newestValues([
      { step: 9, time: 9, trainNll: 1.5, lr: 0.01, gradNorm: 2 },
      { step: 10, time: 10, trainNll: 1.4, lr: 0.009 },
      { step: 10.5 as number, time: 11, testNll: 1.6 },
    ]);
    expect(merged).toEqual({ step: 10.5, time: 11, testNll: 1.6, trainNll: 1.4, lr: 0.009, gradNorm: 2 });
    expect(newestValues([])).toBeNull();
  });
});

describe('stepRate', () => {
  it('is steps per second over the newest records', () => {
    const records = Array.from({ length: 50 }, (_, i) => ({ step: i * 2, time: i * 1000 }));
    expect(stepRate(records)).toBeCloseTo(2);
    expect(stepRate([])).toBeNull();
    expect(stepRate([{ step: 1, time: 5 }])).toBeNull();
  });
});
