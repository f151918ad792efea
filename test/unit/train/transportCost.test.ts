/**
 * The Sec. 6.2 L2 transport cost: each block's displacement ‖f_l(h) − h‖², against a direct
 * float64 computation from the blocks run one by one (with the squeeze layout written out here);
 * 0 at the identity-like initialisation; and training with it reports the likelihood alone as
 * the train NLL, with the penalised objective beside it.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import type { ModelConfig } from '../../../src-shared/config';
import type { MetricsRecord } from '../../../src-shared/protocol';
import { PRESETS } from '../../../src-shared/presets';
import { openDataset } from '../../../src-main/data';
import { initBackend } from '../../../src-main/engine/backend';
import { type MultiScaleFlow, createFlowModel } from '../../../src-main/engine/flow/model';
import { RunManager } from '../../../src-main/engine/runs/runManager';
import { tf } from '../../../src-main/engine/tf';
import { Adamax } from '../../../src-main/engine/train/adamax';
import { perExampleLoss, trainingObjective, transportCost } from '../../../src-main/engine/train/objective';
import { optimisationStep } from '../../../src-main/engine/train/step';
import { perturb } from '../flow/helpers';

beforeAll(async () => {
  await initBackend('cpu');
});

const small: ModelConfig = {
  ...PRESETS['fashion-mnist-small'].model,
  inputShape: [8, 8, 1],
  coupling: { network: 'convnet', hidden: 8, mixtures: 2 },
  ablation: { afterCoupling: 'none', transportCost: 0.5, unconstrained: false },
};

/**
 * Σ_blocks ‖f_l(h) − h‖² per example, in float64: every block run on its own (`model.blocks`),
 * the output compared pixel by pixel with the input it came from — output pixel (i, j),
 * channel (a·k + b)·c + ch is input pixel (k·i + a, k·j + b), channel ch — and the levels split
 * as the model does (the first `keepChannels` continue).
 */
function directDisplacement(model: MultiScaleFlow, x: tf.Tensor4D): Float64Array {
  const n = x.shape[0];
  const total = new Float64Array(n);
  let h: tf.Tensor4D = x;
  let b = 0;
  for (const level of model.plan.levels) {
    for (const block of level.blocks) {
      const y = model.blocks[b++]!.apply(h) as tf.Tensor4D;
      const [, hh, ww, c] = h.shape;
      const [, oh, ow, oc] = y.shape;
      const k = block.kernel;
      const hin = h.dataSync();
      const yout = y.dataSync();
      for (let e = 0; e < n; e++)
        for (let i = 0; i < oh; i++)
          for (let j = 0; j < ow; j++)
            for (let a = 0; a < k; a++)
              for (let bb = 0; bb < k; bb++)
                for (let ch = 0; ch < c; ch++) {
                  const out = yout[((e * oh + i) * ow + j) * oc + (a * k + bb) * c + ch]!;
                  const inp = hin[((e * hh + (k * i + a)) * ww + (k * j + bb)) * c + ch]!;
                  total[e] = total[e]! + (out - inp) ** 2;
                }
      if (h !== x) h.dispose();
      h = y;
    }
    if (level.keepChannels > 0) {
      const kept = tf.slice(h, [0, 0, 0, 0], [-1, -1, -1, level.keepChannels]) as tf.Tensor4D;
      h.dispose();
      h = kept;
    }
  }
  if (h !== x) h.dispose();
  return total;
}

describe('L2 transport cost', () => {
  it('is 0 at the identity-like initialisation and Σ‖f_l(h) − h‖²/d, averaged, once the blocks move', () => {
    const model = createFlowModel(small, { seed: 1 });
    const x = tf.randomUniform([3, 8, 8, 1], -0.5, 0.5, 'float32', 2) as tf.Tensor4D;
    const atInit = tf.tidy(() => transportCost(model.forward(x, { trace: true }).trace!, { dims: 64, perExample: false }));
    expect(Math.abs(atInit.dataSync()[0]!)).toBeLessThan(1e-10);
    perturb(model.variables, 0.05, 3);
    const traced = tf.tidy(() => transportCost(model.forward(x, { trace: true }).trace!, { dims: 64, perExample: false }));
    const direct = directDisplacement(model, x);
    const expected = direct.reduce((s, v) => s + v, 0) / 3 / 64;
    expect(expected).toBeGreaterThan(1e-3);
    expect(Math.abs(traced.dataSync()[0]! - expected)).toBeLessThan(1e-5 * expected);
    // Per example (toys): the same sum without the division by d.
    const perExample = tf.tidy(() => transportCost(model.forward(x, { trace: true }).trace!, { dims: 64, perExample: true }));
    expect(perExample.dataSync()[0]! / (expected * 64) - 1).toBeCloseTo(0, 5);
    model.dispose();
  });

  it('one training step reports the NLL alone as loss, and loss + λ·T as the objective', async () => {
    const model = createFlowModel(small, { seed: 4 });
    perturb(model.variables, 0.05, 5);
    const x = tf.randomUniform([4, 8, 8, 1], -0.5, 0.5, 'float32', 6) as tf.Tensor4D;
    // Before the step: the NLL of the batch and the displacement, computed apart from the step.
    const nll = tf.tidy(() => tf.mean(perExampleLoss(model, small, x).loss)).dataSync()[0]!;
    const t = directDisplacement(model, x).reduce((s, v) => s + v, 0) / 4 / 64;
    const parts = tf.tidy(() => {
      const o = trainingObjective(model, small, x, false);
      return tf.stack([o.nll, o.objective, o.transport!]);
    }).dataSync();
    expect(parts[0]).toBeCloseTo(nll, 5);
    expect(parts[2]! / t - 1).toBeCloseTo(0, 4);
    const optimizer = new Adamax({ beta1: 0.9, beta2: 0.999, epsilon: 1e-7 });
    const before = tf.memory().numTensors;
    const stats = await optimisationStep({ model, config: small, optimizer, x, lr: 1e-3, withDiagnostics: true });
    expect(stats.finite).toBe(true);
    expect(stats.loss).toBeCloseTo(nll, 4);
    expect(stats.transportCost! / t - 1).toBeCloseTo(0, 4);
    expect(stats.objective!).toBeCloseTo(nll + 0.5 * t, 4);
    expect(stats.objective! - stats.loss).toBeGreaterThan(1e-4);
    // The update is made; nothing but the optimiser's first moments stays behind.
    optimizer.dispose();
    expect(tf.memory().numTensors).toBeLessThanOrEqual(before);
    model.dispose();
  });

  it('a toy run trained with λ > 0 logs the likelihood as trainNll and the penalised objective beside it', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'flowstudio-transport-'));
    const manager = new RunManager((spec, options) => openDataset(spec, options), dir);
    const records: MetricsRecord[] = [];
    const { done } = await manager.start({
      preset: 'toy2d',
      overrides: {
        data: 'toy:two-moons?n=512',
        model: { blocksPerLevel: 2, coupling: { hidden: 16 }, ablation: { transportCost: 0.2 } },
        train: { steps: 12, batchSize: 64, evalEvery: 0, evalN: 64, checkpointEvery: 0, diagnosticsEvery: 4, seed: 2 },
      },
      runDir: join(dir, 'run'),
      resume: false,
      callbacks: { onMetrics: (r) => records.push(r) },
    });
    expect(await done).not.toBeNull();
    const steps = records.filter((r) => r.trainNll !== undefined);
    expect(steps).toHaveLength(12);
    for (const r of steps) {
      expect(r.trainObjective! - r.trainNll!).toBeCloseTo(0.2 * r.transportCost!, 5);
      expect(r.transportCost!).toBeGreaterThanOrEqual(0);
    }
    // The blocks start as the identity (T = 0) and move once trained.
    expect(steps[0]!.transportCost!).toBeLessThan(1e-8);
    expect(steps[11]!.transportCost!).toBeGreaterThan(1e-4);
  }, 120_000);
});
