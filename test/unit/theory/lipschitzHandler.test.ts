/**
 * The `lipschitz` protocol command on a toy run written to disk: each block's estimate equals
 * the largest spectral norm, over the same test points, of the block's 2 × 2 Jacobian computed
 * independently (two VJPs per point, closed-form singular value in float64).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolveRunConfig } from '../../../src-shared/config';
import { commands } from '../../../src-shared/protocol';
import { openDataset } from '../../../src-main/data';
import { initBackend } from '../../../src-main/engine/backend';
import { type EngineContext, standaloneContext } from '../../../src-main/engine/context';
import { createFlowModel } from '../../../src-main/engine/flow/model';
import { theoryHandlers } from '../../../src-main/engine/handlers/theory';
import { type Tensor, tf } from '../../../src-main/engine/tf';
import { saveCheckpoint } from '../../../src-main/engine/train/checkpoint';
import { RunFolder } from '../../../src-main/engine/train/runFolder';
import { deriveSeed } from '../../../src-main/engine/train/seeds';

const root = mkdtempSync(join(tmpdir(), 'flowstudio-lipschitz-'));
beforeAll(async () => {
  await initBackend('cpu');
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

/** Largest singular value of [[a, b], [c, d]]. */
function sigma2x2(a: number, b: number, c: number, d: number): number {
  const s = a * a + b * b + c * c + d * d;
  const det = a * d - b * c;
  return Math.sqrt((s + Math.sqrt(Math.max(0, s * s - 4 * det * det))) / 2);
}

describe('lipschitz handler', () => {
  it('reports per-block estimates of a run loaded from disk', async () => {
    const config = resolveRunConfig('toy2d', {
      data: 'toy:two-moons',
      model: { blocksPerLevel: 2, coupling: { hidden: 16 } },
    });
    const folder = new RunFolder(join(root, 'toy-run'));
    folder.create(config);
    const model = createFlowModel(config.model, { seed: deriveSeed(config.train.seed, 'init') });
    model.variables.forEach((v, i) => v.assign(tf.add(v, tf.randomNormal(v.shape, 0, 0.2, 'float32', 50 + i))));
    const tensors = Object.fromEntries(model.parameterNames.map((name, i) => [name, model.variables[i]! as Tensor]));
    await saveCheckpoint(folder.checkpointsDir, { step: 10, optimizerIterations: 10, position: { epoch: 0, offset: 0 }, backend: 'cpu' }, tensors);

    const logs: string[] = [];
    const ctx: EngineContext = { ...standaloneContext(), emit() {}, log: (_level, _source, message) => logs.push(message) };
    const args = commands.lipschitz.args.parse({ run: { runDir: folder.dir }, iterations: 15 });
    const result = commands.lipschitz.result.parse(await theoryHandlers.lipschitz!(args, ctx));
    expect(result.blocks.map((b) => b.name)).toEqual(['L1.B1', 'L1.B2']);
    expect(logs.join('\n')).toMatch(/2 blocks at 256 test examples \(15 power iterations, JVP by double-vjp\)/);

    // Independent: the same 256 test points through the same weights.
    const dataset = await openDataset('toy:two-moons');
    let points: Float32Array | null = null;
    for await (const batch of dataset.batches('test', { batchSize: 256, seed: 0, shuffle: false, epochs: 1, limit: 256 })) {
      points = batch.data as Float32Array;
      break;
    }
    await dataset.close();
    let h: Tensor = tf.tensor2d(points!, [256, 2]);
    for (const [i, block] of model.blocks!.entries()) {
      const rows = [0, 1].map((r) =>
        tf.tidy(() => {
          const u = tf.tile(tf.oneHot([r], 2).toFloat(), [256, 1]);
          return Array.from(tf.grad((x: Tensor) => tf.sum(tf.mul(block.apply(x), u)))(h).dataSync());
        }),
      );
      let largest = 0;
      for (let p = 0; p < 256; p++) {
        largest = Math.max(largest, sigma2x2(rows[0]![2 * p]!, rows[0]![2 * p + 1]!, rows[1]![2 * p]!, rows[1]![2 * p + 1]!));
      }
      expect(Math.abs(result.blocks[i]!.estimate - largest) / largest, block.name).toBeLessThan(1e-3);
      const next = block.apply(h);
      h.dispose();
      h = next;
    }
    h.dispose();
    model.dispose();
  });
});
