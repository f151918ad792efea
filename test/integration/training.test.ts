/**
 * Training and inference through a real engine process, the way the UI drives them: start a
 * run, receive metrics and state events, pause / resume / stop, list and reopen it, then the
 * toy lab's density (which must integrate to ~1) and the sampler / latent-studio commands on
 * an image model trained on the real Fashion-MNIST.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CommandResult, EventFrame, ResponseFrame } from '../../src-shared/protocol';
import { type NodeHost, createNodeHost } from '../../src-main/host/nodeHost';

let host: NodeHost;
const events: EventFrame[] = [];
let nextId = 1;
const runsRoot = mkdtempSync(join(tmpdir(), 'flowstudio-runs-'));

async function call<T>(command: string, args: unknown): Promise<T> {
  const response: ResponseFrame = await host.router.handle({ v: 1, type: 'request', id: nextId++, command, args });
  if (!response.ok) throw new Error(`${command} failed: ${response.error.message}`);
  return response.result as T;
}

function eventsOf(name: string, runId: string): Record<string, unknown>[] {
  return events
    .filter((e) => e.event === name)
    .map((e) => e.payload as Record<string, unknown>)
    .filter((p) => (p['runId'] ?? (p['run'] as { runId?: string } | undefined)?.runId) === runId);
}

/** Every metrics record of a run, in order (the engine batches them into few events). */
function recordsOf(runId: string): Record<string, unknown>[] {
  return eventsOf('metrics', runId).flatMap((p) => p['records'] as Record<string, unknown>[]);
}

async function until(predicate: () => boolean, timeoutMs = 90_000): Promise<void> {
  const start = Date.now();
  while (!predicate()) {
    if (Date.now() - start > timeoutMs) throw new Error('condition not reached in time');
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function pngSize(base64: string): Promise<{ width: number; height: number }> {
  const meta = await sharp(Buffer.from(base64, 'base64')).metadata();
  return { width: meta.width!, height: meta.height! };
}

beforeAll(() => {
  host = createNodeHost('serve', { env: { ...process.env, FLOWSTUDIO_BACKEND: 'wasm', FLOWSTUDIO_RUNS: runsRoot } });
  host.router.onEvent((frame) => events.push(frame));
});

afterAll(() => host.close());

describe('a toy run driven over the protocol', () => {
  let runId = '';
  let runDir = '';

  it('streams metrics and state, pauses, resumes and stops', async () => {
    const started = await call<CommandResult<'startTraining'>>('startTraining', {
      preset: 'toy2d',
      overrides: { data: 'toy:two-moons?n=2048', train: { steps: 5000, batchSize: 128, evalEvery: 20, evalN: 512, diagnosticsEvery: 2, checkpointEvery: 0 } },
    });
    runId = started.run.runId;
    runDir = started.run.runDir;
    expect(started.layers.length).toBe(8 * 3);
    expect(started.run.backend).toBe('wasm');
    await until(() => recordsOf(runId).length >= 12);
    const metrics = recordsOf(runId);
    expect(metrics[0]).toMatchObject({ step: 0 });
    expect(typeof metrics[0]!['testNll']).toBe('number');
    const withLayers = metrics.find((r) => Array.isArray(r['layerLogdet']))!;
    expect((withLayers['layerLogdet'] as number[]).length).toBe(started.layers.length);
    expect((withLayers['layerVariance'] as number[]).every((v) => v >= 0)).toBe(true);

    await call('controlTraining', { runId, action: 'pause' });
    await until(() => eventsOf('state', runId).some((p) => (p['run'] as { state: string }).state === 'paused'));
    const pausedCount = recordsOf(runId).length;
    await new Promise((r) => setTimeout(r, 500));
    expect(recordsOf(runId).length).toBeLessThanOrEqual(pausedCount + 1);
    await call('controlTraining', { runId, action: 'resume' });
    await until(() => recordsOf(runId).length >= pausedCount + 5);
    // A periodic evaluation (evalEvery 20) before the stop: a stop checkpoints at once, with no
    // final evaluation, and the reopened history below must carry a test point after step 0.
    await until(() => recordsOf(runId).some((r) => r['testNll'] !== undefined && (r['step'] as number) > 0));
    await call('controlTraining', { runId, action: 'stop' });
    await until(() => eventsOf('state', runId).some((p) => (p['run'] as { state: string }).state === 'stopped'));
    const states = eventsOf('state', runId).map((p) => (p['run'] as { state: string }).state);
    expect(states).toEqual(expect.arrayContaining(['running', 'paused', 'stopping', 'stopped']));
  });

  it('lists and reopens the run with its history', async () => {
    const listed = await call<CommandResult<'listRuns'>>('listRuns', {});
    expect(listed.onDisk.map((r) => r.runDir)).toContain(runDir);
    const opened = await call<CommandResult<'openRun'>>('openRun', { run: { runDir } });
    expect(opened.config.preset).toBe('toy2d');
    expect(opened.layers.length).toBe(24);
    expect(opened.metrics.length).toBeGreaterThan(10);
    expect(opened.metrics.some((r) => r.testNll !== undefined && r.step > 0)).toBe(true);
  });

  it('gives a density that integrates to one and the points after every block', async () => {
    // A flow early in training has wide tails: integrate over a generous square.
    const density = await call<CommandResult<'toyDensity'>>('toyDensity', { run: { runDir }, resolution: 300, extent: 30 });
    expect(density.logDensity.length).toBe(300 * 300);
    const cell = (60 / 300) ** 2;
    const mass = density.logDensity.reduce((sum, l) => sum + Math.exp(l) * cell, 0);
    expect(mass).toBeGreaterThan(0.95);
    expect(mass).toBeLessThan(1.05);
    const layers = await call<CommandResult<'toyLayers'>>('toyLayers', { run: { runDir }, n: 300 });
    expect(layers.layers.length).toBe(1 + 8);
    expect(layers.layers[0]!.name).toBe('data');
    expect(layers.layers.every((l) => l.points.length === 600 && l.scale > 0)).toBe(true);
  });
});

describe('the sampler and latent studio on a Fashion-MNIST model', () => {
  const data = 'fashion-mnist:/usr/share/datasets/fashion-mnist';
  let runDir = '';

  beforeAll(async () => {
    const started = await call<CommandResult<'startTraining'>>('startTraining', {
      preset: 'fashion-mnist-small',
      overrides: { data, model: { coupling: { hidden: 16 } }, train: { steps: 2, batchSize: 4, evalEvery: 0, evalN: 8, checkpointEvery: 0 } },
    });
    runDir = started.run.runDir;
    await until(() => eventsOf('state', started.run.runId).some((p) => (p['run'] as { state: string }).state === 'finished'));
  });

  it('samples a grid at a temperature', async () => {
    const result = await call<CommandResult<'sample'>>('sample', { run: { runDir }, n: 6, temperature: 0.9, seed: 1, columns: 3 });
    expect(result.step).toBe(2);
    expect(await pngSize(result.grid.base64)).toEqual({ width: result.grid.width, height: result.grid.height });
    expect(result.grid.width).toBeGreaterThanOrEqual(3 * 28);
    const again = await call<CommandResult<'sample'>>('sample', { run: { runDir }, n: 6, temperature: 0.9, seed: 1, columns: 3 });
    expect(again.grid.base64).toBe(result.grid.base64);
    const other = await call<CommandResult<'sample'>>('sample', { run: { runDir }, n: 6, temperature: 0.2, seed: 1, columns: 3 });
    expect(other.grid.base64).not.toBe(result.grid.base64);
  });

  it('reconstructs a real image and perturbs its levels (Fig. 5)', async () => {
    const image = { data, split: 'test', index: 0 };
    const keepAll = await call<CommandResult<'perturb'>>('perturb', { run: { runDir }, image, levels: [{ keep: true, temperature: 0.9 }, { keep: true, temperature: 0.9 }], seed: 3 });
    expect(keepAll.reconstructionError).toBeLessThan(1e-3);
    expect(keepAll.perturbed.base64).toBe(keepAll.reconstruction.base64);
    const resample = await call<CommandResult<'perturb'>>('perturb', { run: { runDir }, image, levels: [{ keep: false, temperature: 0.9 }, { keep: true, temperature: 0.9 }], seed: 3 });
    expect(resample.perturbed.base64).not.toBe(resample.reconstruction.base64);
    const grid = await call<CommandResult<'perturbGrid'>>('perturbGrid', { run: { runDir }, image, temperature: 0.9, seed: 3 });
    expect(grid.keepFirst.length).toBe(2);
    expect(grid.resampleFirst.length).toBe(2);
    // Keeping every level (k = L) is the reconstruction.
    expect(grid.keepFirst[1]!.base64).toBe(keepAll.reconstruction.base64);
    const frames = await call<CommandResult<'interpolate'>>('interpolate', { run: { runDir }, a: image, b: { ...image, index: 1 }, steps: 3 });
    expect(frames.frames.length).toBe(3);
    expect(frames.frames[0]!.base64).toBe(keepAll.reconstruction.base64);
  });

  it('answers impossible requests with errors that name the problem', async () => {
    await expect(call('sample', { run: { runDir: join(runsRoot, 'nope') }, n: 1, temperature: 1, seed: 0 })).rejects.toThrow(/not a run folder/);
    await expect(call('perturb', { run: { runDir }, image: { data, split: 'test', index: 0 }, levels: [{ keep: true, temperature: 1 }], seed: 0 })).rejects.toThrow(/2 levels but 1 level controls/);
    await expect(call('controlTraining', { runId: 'run-404', action: 'pause' })).rejects.toThrow(/no active run "run-404"/);
    await expect(call('startTraining', { preset: 'paper-cifar10', overrides: { data } })).rejects.toThrow(/shape 28×28×1 but preset paper-cifar10 expects 32×32×3/);
  });
});
