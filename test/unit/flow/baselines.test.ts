/**
 * The baseline architectures (Glow, RQ-NSF, RealNVP) as whole models: ActNorm's data-dependent
 * initialisation (zero-mean unit-variance outputs on its first batch, carried exactly through a
 * real checkpoint), the learned split prior as Glow's conditional Gaussian, and sampling,
 * temperature and Fig. 5 perturbation for every preset at a tiny size.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ModelConfig, type PresetName, PRESETS, PresetNameSchema } from '../../../src-shared/config';
import { initBackend } from '../../../src-main/engine/backend';
import { ActNorm } from '../../../src-main/engine/flow/layers/actNorm';
import { createFlowModel } from '../../../src-main/engine/flow/model';
import { standardNormalLogProb } from '../../../src-main/engine/flow/prior';
import { decodeEdited, perturbLatents, sampleImages } from '../../../src-main/engine/runs/inference';
import { assignVariables, loadLatestCheckpoint, saveCheckpoint } from '../../../src-main/engine/train/checkpoint';
import { type Tensor, tf } from '../../../src-main/engine/tf';
import { maxAbs, maxAbsDiff, perturb } from './helpers';

const dirs: string[] = [];
beforeAll(async () => {
  await initBackend('cpu');
});
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

/** Per-channel mean and variance of x over every axis but the last, on the host. */
function channelMoments(x: Tensor): { mean: number[]; variance: number[] } {
  const axes = Array.from({ length: x.rank - 1 }, (_, i) => i);
  const m = tf.moments(x, axes);
  const out = { mean: Array.from(m.mean.dataSync()), variance: Array.from(m.variance.dataSync()) };
  tf.dispose([m.mean, m.variance]);
  return out;
}

/** A tiny image version of an image preset (same architecture), or the toy itself. */
function tiny(name: PresetName): ModelConfig {
  const m = PRESETS[name].model;
  if (m.inputShape.length === 1) return m;
  const kind = m.architecture?.kind ?? 'paper';
  const network = kind === 'paper' ? m.coupling.network : m.coupling.network === 'resnet' ? 'resnet' : 'convnet';
  return {
    ...m,
    inputShape: m.firstConvKernel === 2 ? [8, 8, 1] : m.inputShape,
    levels: Math.min(m.levels, 2),
    blocksPerLevel: Math.min(m.blocksPerLevel, 2),
    coupling: { ...m.coupling, network, hidden: 8, ...(network === 'resnet' ? { resBlocks: 1 } : {}) },
    ...(kind === 'paper' ? { activation: { ...m.activation, bins: 4 } } : {}),
  };
}

describe('ActNorm data-dependent initialisation', () => {
  it('gives zero-mean unit-variance outputs per channel on its first batch', () => {
    const layer = new ActNorm({ name: 'an.actnorm', level: 0, block: 0, kind: 'actnorm' }, 3, 'test-actnorm/');
    const x = tf.tidy(() => tf.add(tf.mul(tf.randomNormal([16, 4, 4, 3], 0, 1, 'float32', 2), tf.tensor1d([0.5, 2, 7])), tf.tensor1d([3, -1, 0.2])));
    const before = channelMoments(layer.forward(x).y);
    expect(Math.max(...before.mean.map(Math.abs))).toBeGreaterThan(0.5); // not normalised before
    layer.initializeFrom(x);
    const { y, logdet } = layer.forward(x);
    const after = channelMoments(y);
    for (const m of after.mean) expect(Math.abs(m)).toBeLessThan(1e-5);
    for (const v of after.variance) expect(Math.abs(v - 1)).toBeLessThan(1e-4);
    // log|det| = (h·w)·Σ s = −16·Σ log std.
    const expected = -16 * channelMoments(x).variance.reduce((a, v) => a + 0.5 * Math.log(v), 0);
    expect(Math.abs(logdet.dataSync()[0]! - expected)).toBeLessThan(1e-3 * Math.abs(expected));
    tf.dispose([x, y, logdet]);
    layer.dispose();
  });

  it('initialises every ActNorm of a Glow model from its own input; a real checkpoint restores it exactly', async () => {
    const config = tiny('glow-fashion');
    const model = createFlowModel(config, { seed: 3 });
    const x = tf.randomUniform([32, 8, 8, 1], -0.5, 0.5, 'float32', 4);
    model.initializeFromData(x);
    const enc = model.forward(x, { trace: true });
    const actnorms = model.layers.map((l, i) => [l, i] as const).filter(([l]) => l.kind === 'actnorm');
    expect(actnorms.length).toBe(config.levels * config.blocksPerLevel);
    for (const [layer, i] of actnorms) {
      expect(layer.name).toMatch(/^L\d\.B\d\.actnorm$/);
      // Mean over channels of the per-channel variances, all 1 with zero means.
      expect(Math.abs(enc.trace!.variance[i]!.dataSync()[0]! - 1), layer.name).toBeLessThan(1e-3);
    }
    const dir = mkdtempSync(join(tmpdir(), 'actnorm-ckpt-'));
    dirs.push(dir);
    const tensors: Record<string, Tensor> = {};
    model.variables.forEach((v, i) => {
      tensors[model.parameterNames[i]!] = v;
    });
    await saveCheckpoint(dir, { step: 1, optimizerIterations: 0, position: { epoch: 0, offset: 0 }, backend: 'cpu' }, tensors);
    const loaded = (await loadLatestCheckpoint(dir))!;
    const resumed = createFlowModel(config, { seed: 3 });
    assignVariables(resumed.variables, resumed.parameterNames, loaded.tensors, loaded.dir);
    for (const t of Object.values(loaded.tensors)) t.dispose();
    const a = model.logProb(x);
    const b = resumed.logProb(x);
    expect(maxAbsDiff(a, b)).toBe(0);
    tf.dispose([x, a, b, enc.logdet, ...enc.latents]);
    tf.dispose(Object.values(enc.trace!).flat().flatMap((t) => ('input' in t ? [t.input, t.output] : [t])));
    model.dispose();
    resumed.dispose();
  });
});

describe("Glow's learned split prior", () => {
  it('is the conditional Gaussian N(z_out; μ(z_keep), σ(z_keep)²): log p equals that density plus the rest', () => {
    // One level of one block on vectors: the model is [actnorm, conv, aff, prior] then a split.
    const config: ModelConfig = { ...PRESETS['toy2d-glow'].model, inputShape: [4], levels: 2, blocksPerLevel: 1 };
    const model = createFlowModel(config, { seed: 1 });
    perturb(model.variables, 0.3, 5);
    const prior = model.bijections.find((b) => b.descriptor.kind === 'prior')!;
    const x = tf.randomNormal([5, 4], 0, 1, 'float32', 6);
    tf.tidy(() => {
      const level1 = model.levels[0]!;
      const parts = level1.parts[0]! as unknown as { parts: { forward(x: Tensor): { y: Tensor; logdet: Tensor } }[] };
      // Everything before the prior.
      let h = x;
      let logdet: Tensor = tf.zeros([5]);
      for (const part of parts.parts.slice(0, -1)) {
        const r = part.forward(h);
        h = r.y;
        logdet = tf.add(logdet, r.logdet);
      }
      const [keep, out] = tf.split(h, [2, 2], 1) as [Tensor, Tensor];
      // μ, log σ from the prior's own parameters (dense: keep·W + b, times exp(3·logs)).
      const [w, b, logs] = prior.variables as unknown as Tensor[];
      const hp = tf.mul(tf.add(tf.matMul(keep, w!), b!), tf.exp(tf.mul(logs!, 3)));
      const [mu, logSigma] = tf.split(hp, [2, 2], 1) as [Tensor, Tensor];
      const gaussian = tf.sum(tf.sub(tf.sub(tf.mul(-0.5, tf.square(tf.div(tf.sub(out, mu), tf.exp(logSigma)))), logSigma), 0.5 * Math.log(2 * Math.PI)), 1);
      const rest = model.levels[1]!.forward(keep);
      const expected = tf.add(tf.add(tf.add(gaussian, logdet), standardNormalLogProb([rest.y])), rest.logdet);
      const got = model.logProb(x);
      expect(maxAbsDiff(got, expected)).toBeLessThan(1e-4 * Math.max(1, maxAbs(expected)));
      return tf.scalar(0);
    }).dispose();
    x.dispose();
    model.dispose();
  });
});

describe('sampling, temperature and Fig. 5 perturbation for every preset (tiny sizes)', () => {
  for (const name of PresetNameSchema.options) {
    it(name, () => {
      const config = tiny(name);
      const model = createFlowModel(config, { seed: 2 });
      perturb(model.variables, 0.02, 3);
      const before = tf.memory().numTensors;
      const samples = sampleImages(model, 3, 0.7, 11);
      expect(samples.shape).toEqual([3, ...config.inputShape]);
      expect(Array.from(samples.dataSync()).every(Number.isFinite)).toBe(true);
      // Temperature 0 gives the mean latent's decoding; encoding a sample gives its latents back.
      const cold = sampleImages(model, 1, 0, 11);
      const latents = model.sampleLatents(2, 0.7, 11);
      const decoded = model.inverse(latents);
      const encoded = model.forward(decoded);
      const again = encoded.latents;
      latents.forEach((z, l) => expect(maxAbsDiff(again[l]!, z)).toBeLessThan(1e-3 * Math.max(1, maxAbs(z))));
      // Fig. 5: keeping every level reconstructs; resampling the last level changes only what it controls.
      const x = tf.slice(decoded, [0], [1]);
      const all = model.latentShapes.map(() => ({ keep: true, temperature: 0.7 }));
      const rebuilt = perturbLatents(model, x, all, 5);
      expect(maxAbsDiff(rebuilt, x)).toBeLessThan(1e-3 * Math.max(1, maxAbs(x)));
      const first = again.map((z) => tf.slice(z, [0], [1]));
      const fresh = decodeEdited(model, first, model.latentShapes.map(() => ({ keep: false, temperature: 0.7 })), 9);
      expect(Array.from(fresh.dataSync()).every(Number.isFinite)).toBe(true);
      tf.dispose([samples, cold, ...latents, decoded, ...again, encoded.logdet, ...first, x, rebuilt, fresh]);
      expect(tf.memory().numTensors).toBe(before);
      model.dispose();
    }, 60_000);
  }
});
