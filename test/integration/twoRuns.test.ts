/**
 * Two requests on two different runs in flight at once (issue 13, defect 3): a toy density
 * on run A (answered in chunks, yielding between them) and the toy layers of run B, through
 * the real dispatcher and handlers. Loading B evicts A from the run cache while A's request
 * still uses it; the model must outlive the request (runs/leases.ts), and be disposed once it
 * ends (the tensor count comes back to what one cached run holds).
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { CliEngine } from '../../src-main/cli/engine';
import { tf } from '../../src-main/engine/tf';

process.env['FLOWSTUDIO_BACKEND'] = 'wasm';
const engine = new CliEngine();
const root = mkdtempSync(join(tmpdir(), 'flowstudio-two-runs-'));

async function trainToy(name: string, seed: number): Promise<string> {
  const runDir = join(root, name);
  const { run } = await engine.invoke('startTraining', {
    preset: 'toy2d',
    runDir,
    overrides: { data: 'toy:rings?n=1024', model: { blocksPerLevel: 2, coupling: { hidden: 16 } }, train: { steps: 2, batchSize: 16, evalN: 64, evalEvery: 0, seed } },
  });
  const done = await engine.invoke('waitForRun', { runId: run.runId });
  expect(done.run.state).toBe('finished');
  return runDir;
}

let a = '';
let b = '';

beforeAll(async () => {
  a = await trainToy('a', 1);
  b = await trainToy('b', 2);
  // A new run frees the models of ended ones; a third, tiny one leaves A and B on disk only.
  await trainToy('c', 3);
}, 120_000);

describe('requests on two runs at once', () => {
  it('neither disposes the model the other is using, and the evicted one is freed afterwards', async () => {
    await engine.invoke('toyLayers', { run: { runDir: b }, n: 64 });
    const oneCached = tf.memory().numTensors;
    for (let round = 0; round < 2; round++) {
      const [density, layers] = await Promise.all([
        engine.invoke('toyDensity', { run: { runDir: a }, resolution: 512, extent: 4 }),
        engine.invoke('toyLayers', { run: { runDir: b }, n: 64 }),
      ]);
      expect(density.logDensity).toHaveLength(512 * 512);
      expect(density.logDensity.every(Number.isFinite)).toBe(true);
      expect(layers.layers.length).toBeGreaterThan(0);
    }
    expect(tf.memory().numTensors).toBe(oneCached);
  }, 120_000);
});
