/**
 * The toy lab works for every toy flow (issue 14): the paper's block and each baseline coupling
 * (Glow affine, additive, RQ spline, RealNVP) train on a 2-D density through the real
 * dispatcher, and the lab's two views answer for each: a normalised density on a grid (its
 * integral over the extent close to the mass the data puts there) and the points through
 * every block, ending in the latent.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CliEngine } from '../../src-main/cli/engine';
import { PresetNameSchema } from '../../src-shared/config';

process.env['FLOWSTUDIO_BACKEND'] = 'wasm';
const engine = new CliEngine();
// The flows the toy lab offers (stores/toy.ts TOY_FLOWS, pinned by test/renderer/toyStore.test.ts).
const TOY_FLOWS = PresetNameSchema.options.filter((name) => name === 'toy2d' || name.startsWith('toy2d-'));
const root = mkdtempSync(join(tmpdir(), 'flowstudio-toy-flows-'));

describe('the toy lab on every toy flow', () => {
  it.each(TOY_FLOWS)('%s trains, and its density and per-block points answer', async (preset) => {
    const runDir = join(root, preset);
    const { run } = await engine.invoke('startTraining', {
      preset,
      runDir,
      overrides: { data: 'toy:two-moons?n=1024', model: { blocksPerLevel: 2, coupling: { hidden: 16 } }, train: { steps: 30, batchSize: 64, evalN: 256, evalEvery: 0, seed: 5 } },
    });
    const done = await engine.invoke('waitForRun', { runId: run.runId });
    expect(done.run.state).toBe('finished');
    expect(done.outcome!.finalTest!).toBeLessThan(done.outcome!.initialTest!);

    const resolution = 64;
    const extent = 4;
    const density = await engine.invoke('toyDensity', { run: { runDir }, resolution, extent });
    expect(density.logDensity).toHaveLength(resolution ** 2);
    expect(density.logDensity.every(Number.isFinite)).toBe(true);
    // A density: its Riemann sum over [-4, 4]² is at most 1 and holds most of the mass
    // (two-moons lies well inside the square).
    const cell = ((2 * extent) / resolution) ** 2;
    const mass = density.logDensity.reduce((sum, l) => sum + Math.exp(l) * cell, 0);
    expect(mass).toBeGreaterThan(0.5);
    expect(mass).toBeLessThan(1.05);

    const layers = await engine.invoke('toyLayers', { run: { runDir }, n: 128 });
    expect(layers.layers.length).toBeGreaterThan(2);
    for (const layer of layers.layers) {
      expect(layer.points).toHaveLength(2 * 128);
      expect(layer.points.every(Number.isFinite)).toBe(true);
    }
  }, 180_000);
});
