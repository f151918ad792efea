/**
 * The engine's flow against an independent PyTorch implementation of the same architecture
 * (bench/reference/flow.py, float64 autograd): fashion-mnist-small with weights moved off the
 * initialisation (so the coupling networks, the Mexican hats and the spline bins all matter), a
 * batch of real Fashion-MNIST test images dequantised by the engine. log p per example, the
 * mean bpd and the gradient of every parameter must agree, in both memory modes (plain autodiff
 * and inverse recomputation, the default). Skipped, with the reason printed, where python3-torch
 * or the dataset is missing (.ci/run installs both).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PRESETS } from '../../src-shared/config';
import { initBackend } from '../../src-main/engine/backend';
import { referenceUnavailable, relativeError, runTorchParity, writeParityCase } from '../../bench/reference/parity';
import type { NamedArray } from '../../bench/reference/tensors';
import { readTensorFolder } from '../../bench/reference/tensors';

const unavailable = referenceUnavailable();
if (unavailable) console.warn(`PyTorch parity test skipped: ${unavailable}`);

describe.skipIf(unavailable !== null)('PyTorch reference parity (fashion-mnist-small)', () => {
  let dir = '';
  let engine: Map<string, NamedArray>;
  let torch: Map<string, NamedArray>;
  const names: string[] = [];

  beforeAll(async () => {
    await initBackend('wasm');
    dir = mkdtempSync(join(tmpdir(), 'flowstudio-parity-'));
    await writeParityCase(dir, { config: PRESETS['fashion-mnist-small'].model, seed: 3, batch: 4, scale: 0.02, activationScale: 0.5 });
    torch = runTorchParity(dir);
    engine = readTensorFolder(dir).arrays;
    for (const name of engine.keys()) if (name.startsWith('param:')) names.push(name.slice('param:'.length));
  }, 600_000);

  afterAll(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('log p of every example agrees to 1e-5 relative', () => {
    const e = engine.get('engine:logp')!.data;
    const t = torch.get('torch:logp')!.data;
    expect(e.length).toBe(4);
    for (let i = 0; i < e.length; i++) expect(Math.abs(e[i]! - t[i]!) / Math.abs(t[i]!)).toBeLessThan(1e-5);
  });

  for (const memory of ['store', 'recompute'] as const) {
    it(`${memory}: the loss and the gradient of every parameter agree to 1e-4 relative`, () => {
      const loss = engine.get(`engine:${memory}:loss`)!.data[0]!;
      const reference = torch.get('torch:loss')!.data[0]!;
      expect(Math.abs(loss - reference) / reference).toBeLessThan(1e-6);
      // fashion-mnist-small: 8 blocks × (2 conv + 2×6 coupling + 4 activation) parameters.
      expect(names.length).toBe(144);
      const failures: string[] = [];
      for (const name of names) {
        const g = engine.get(`engine:${memory}:grad:${name}`);
        const r = torch.get(`torch:grad:${name}`)!.data;
        expect(g, `engine gradient of ${name}`).toBeDefined();
        // A zero reference gradient would make the check vacuous (relative error of anything is ∞ or 0).
        expect(r.some((v) => v !== 0), `torch gradient of ${name}`).toBe(true);
        const error = relativeError(g!.data, r);
        if (!(error < 1e-4)) failures.push(`${name}: ${error.toExponential(2)}`);
      }
      expect(failures).toEqual([]);
    });
  }
});
