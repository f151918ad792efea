/**
 * The multi-scale model: structure and names, blockwise initialisation, invertibility and
 * log-det (against the autodiff Jacobian) away from init, log p, sampling, trace, memory.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ModelConfig, PRESETS } from '../../../src-shared/config';
import { initBackend } from '../../../src-main/engine/backend';
import { type MultiScaleFlow, createFlowModel } from '../../../src-main/engine/flow/model';
import { squeeze } from '../../../src-main/engine/ops/squeeze';
import { type Tensor, tf } from '../../../src-main/engine/tf';
import { jacobianLogDet, maxAbs, maxAbsDiff, perturb } from './helpers';

const fashion = PRESETS['fashion-mnist-small'].model;

/** A 2-level image model small enough for full Jacobians: 4×4×2 → latents [2,2,4] and [1,1,16]. */
function toyImage(overrides: Partial<ModelConfig> = {}): ModelConfig {
  return {
    ...fashion,
    inputShape: [4, 4, 2],
    blocksPerLevel: 2,
    coupling: { network: 'convnet', hidden: 8, mixtures: 4 },
    ...overrides,
  };
}

const models: MultiScaleFlow[] = [];
function build(config: ModelConfig, seed = 1): MultiScaleFlow {
  const m = createFlowModel(config, { seed });
  models.push(m);
  return m;
}
function flatLatents(m: MultiScaleFlow, x: Tensor): Tensor {
  return tf.concat(
    m.forward(x).latents.map((z) => tf.reshape(z, [z.shape[0]!, -1])),
    1,
  );
}

beforeAll(async () => {
  await initBackend('cpu');
});
afterAll(() => {
  for (const m of models.splice(0)) m.dispose();
});

describe('multi-scale flow: structure', () => {
  it('fashion-mnist-small has the documented layers, shapes and parameter names', () => {
    const m = build(fashion);
    expect(m.dims).toBe(784);
    expect(m.latentShapes).toEqual([
      [14, 14, 2],
      [7, 7, 8],
    ]);
    expect(m.layers).toHaveLength(2 * 4 * 3);
    expect(m.layers.slice(0, 4)).toEqual([
      { name: 'L1.B1.conv', level: 0, block: 0, kind: 'conv' },
      { name: 'L1.B1.aff', level: 0, block: 0, kind: 'aff' },
      { name: 'L1.B1.act', level: 0, block: 0, kind: 'act' },
      { name: 'L1.B2.conv', level: 0, block: 1, kind: 'conv' },
    ]);
    expect(m.layers.at(-1)).toEqual({ name: 'L2.B4.act', level: 1, block: 3, kind: 'act' });
    expect(m.blocks.map((b) => [b.name, b.inputShape])).toEqual([
      ['L1.B1', [28, 28, 1]],
      ['L1.B2', [14, 14, 4]],
      ['L1.B3', [14, 14, 4]],
      ['L1.B4', [14, 14, 4]],
      ['L2.B1', [14, 14, 2]],
      ['L2.B2', [7, 7, 8]],
      ['L2.B3', [7, 7, 8]],
      ['L2.B4', [7, 7, 8]],
    ]);
    expect(m.parameterNames).toHaveLength(m.variables.length);
    expect(new Set(m.parameterNames).size).toBe(m.parameterNames.length);
    expect(m.parameterNames.slice(0, 3)).toEqual(['L1.B1.conv/lu', 'L1.B1.conv/logScale', 'L1.B1.aff/s1t1.conv1.w']);
    for (const name of m.parameterNames) expect(name).toMatch(/^L[12]\.B[1-4]\.(conv|aff|act)\//);
    m.variables.forEach((v, i) => expect(v.name.endsWith(m.parameterNames[i]!)).toBe(true));
    expect(m.activationMaxSlopes()).toHaveLength(8);
  });

  it('is deterministic given the seed, and two instances coexist', () => {
    const config = toyImage();
    const a = build(config, 7);
    const b = build(config, 7);
    const c = build(config, 8);
    expect(b.parameterNames).toEqual(a.parameterNames);
    expect(b.variables.map((v) => v.name)).not.toEqual(a.variables.map((v) => v.name));
    let differs = false;
    a.variables.forEach((v, i) => {
      expect(Array.from(b.variables[i]!.dataSync())).toEqual(Array.from(v.dataSync()));
      if (maxAbsDiff(v, c.variables[i]!) > 0) differs = true;
    });
    expect(differs).toBe(true);
  });

  it('names the problem for impossible configs and bad inputs', () => {
    expect(() => createFlowModel({ ...fashion, firstConvKernel: 3 }, { seed: 0 })).toThrow(/28x28 is not divisible by kernel 3/);
    expect(() => createFlowModel({ ...fashion, beta: 1.5 }, { seed: 0 })).toThrow(/beta must be in \(0, 1\]/);
    expect(() =>
      createFlowModel({ ...PRESETS.toy2d.model, inputShape: [6], levels: 3, splitFraction: 0.5 }, { seed: 0 }),
    ).toThrow(/split fraction 0\.5 of 3 dimensions/);
    const m = build(toyImage());
    expect(() => m.forward(tf.zeros([1, 4, 4, 3]))).toThrow(/expects input \[batch, 4, 4, 2\], got \[1,4,4,3\]/);
    expect(() => m.inverse([tf.zeros([1, 2, 2, 4])])).toThrow(/expects 2 latents/);
    expect(() => m.inverse([tf.zeros([1, 2, 2, 4]), tf.zeros([2, 2, 2, 4])])).toThrow(/latent of level 2 must be \[1, 1, 1, 16\]/);
    expect(() => m.sampleLatents(0, 1, 0)).toThrow(/n must be a positive integer/);
  });
});

describe('multi-scale flow: blockwise volume-preserving initialisation', () => {
  it('each block has log-det 0 and conv+aff = −act = −d·log β; every block is the identity up to its squeeze', () => {
    const m = build(fashion);
    const x = tf.randomUniform([2, 28, 28, 1], -0.5, 0.5, 'float32', 3);
    const { trace } = m.forward(x, { trace: true });
    const logdets = trace!.logdet.map((t) => t.dataSync()[0]!);
    for (let b = 0; b < 8; b++) {
      // Level 2 works on the 392 dimensions left after the split.
      const act = (b < 4 ? 784 : 392) * Math.log(fashion.beta);
      const [conv, aff, a] = logdets.slice(3 * b, 3 * b + 3) as [number, number, number];
      expect(Math.abs(a - act)).toBeLessThan(1e-5 * Math.abs(act));
      expect(Math.abs(conv + aff + act)).toBeLessThan(1e-5 * Math.abs(act));
      expect(Math.abs(conv + aff + a)).toBeLessThan(1e-5 * Math.abs(act));
      expect(conv).toBeGreaterThan(0);
      expect(aff).toBeGreaterThan(0);
    }
    // Blocks map their input to itself (the first of a level squeezes by 2).
    let h: Tensor = x;
    m.blocks.forEach((block, i) => {
      const expected = i === 0 || i === 4 ? squeeze(h, 2) : h;
      const out = block.apply(h);
      expect(maxAbsDiff(out, expected)).toBeLessThan(1e-5);
      h = i === 3 ? tf.split(out, [2, 2], 3)[0]! : out;
    });
  });
});

describe('multi-scale flow: invertibility and log-det away from initialisation', () => {
  it('fashion-mnist-small: inverse(forward(x)) recovers x to 1e-4', () => {
    const m = build(fashion, 3);
    // 0.02 on every parameter moves the log-det by ~60 nats and the latents to |z| ~ 2; larger
    // random weights make the 8 stacked coupling nets so steep that float32 round-off, not the
    // inverse, dominates.
    perturb(m.variables, 0.02, 31);
    const x = tf.randomUniform([2, 28, 28, 1], -0.5, 0.5, 'float32', 4);
    const { latents, logdet } = m.forward(x);
    // Perturbed: no longer volume-preserving.
    expect(Math.abs(logdet.dataSync()[0]!)).toBeGreaterThan(1);
    const back = m.inverse(latents);
    expect(maxAbsDiff(back, x)).toBeLessThan(1e-4);
  });

  const variants: [string, ModelConfig][] = [
    ['convnet, paper activation', toyImage()],
    ['resnet-se', toyImage({ coupling: { network: 'resnet-se', hidden: 8, mixtures: 3 } })],
    ['tanh after f_aff', toyImage({ ablation: { afterCoupling: 'tanh', transportCost: 0, unconstrained: false } })],
    ['normal-cdf after f_aff', toyImage({ ablation: { afterCoupling: 'normal-cdf', transportCost: 0, unconstrained: false } })],
    ['unconstrained', toyImage({ ablation: { afterCoupling: 'none', transportCost: 0, unconstrained: true } })],
    ['vectors, 2 levels, dense', { ...PRESETS.toy2d.model, inputShape: [6], levels: 2, blocksPerLevel: 3, splitFraction: 1 / 3 }],
  ];
  for (const [name, config] of variants) {
    it(`log-det equals log|det J| (autodiff, float64 LU) and the inverse recovers x: ${name}`, () => {
      const m = build(config, 5);
      perturb(m.variables, config.ablation.unconstrained ? 0.03 : 0.1, 32);
      const x = tf.randomUniform([1, ...config.inputShape], -0.5, 0.5, 'float32', 6);
      const reference = jacobianLogDet((v) => flatLatents(m, v), x);
      const own = m.forward(x).logdet.dataSync()[0]!;
      expect(Math.abs(own - reference)).toBeLessThan(1e-3 * Math.max(1, Math.abs(reference)));
      const batch = tf.randomUniform([3, ...config.inputShape], -0.5, 0.5, 'float32', 7);
      expect(maxAbsDiff(m.inverse(m.forward(batch).latents), batch)).toBeLessThan(1e-4);
    });
  }
});

describe('multi-scale flow: log p, sampling, trace, memory', () => {
  it('logProb = Σ_levels log N(z; 0, I) + log-det', () => {
    const m = build(toyImage(), 9);
    perturb(m.variables, 0.1, 33);
    const x = tf.randomUniform([3, 4, 4, 2], -0.5, 0.5, 'float32', 8);
    const { latents, logdet } = m.forward(x);
    const z = latents.map((t) => tf.reshape(t, [3, -1]).arraySync() as number[][]);
    const ld = logdet.dataSync();
    const lp = m.logProb(x).dataSync();
    for (let i = 0; i < 3; i++) {
      let expected = ld[i]!;
      for (const level of z) for (const v of level[i]!) expected += -0.5 * v * v - 0.5 * Math.log(2 * Math.PI);
      expect(lp[i]).toBeCloseTo(expected, 3);
    }
  });

  it('samples per-level latents with the requested temperature, reproducibly, and decodes them', () => {
    const m = build(toyImage(), 10);
    perturb(m.variables, 0.1, 34);
    const a = m.sampleLatents(64, 0.9, 123);
    const b = m.sampleLatents(64, 0.9, 123);
    expect(a.map((t) => t.shape)).toEqual([
      [64, 2, 2, 4],
      [64, 1, 1, 16],
    ]);
    a.forEach((t, i) => expect(maxAbsDiff(t, b[i]!)).toBe(0));
    expect(maxAbsDiff(a[0]!, m.sampleLatents(64, 0.9, 124)[0]!)).toBeGreaterThan(0);
    // Sample std of 2048 N(0, 0.81) draws: 0.9 ± ~0.03.
    const all = tf.concat(a.map((t) => tf.reshape(t, [-1])));
    const std = Math.sqrt(tf.moments(all).variance.dataSync()[0]!);
    expect(Math.abs(std - 0.9)).toBeLessThan(0.05);
    expect(maxAbs(m.sampleLatents(2, 0, 1)[1]!)).toBe(0);
    const x = m.inverse(a);
    expect(x.shape).toEqual([64, 4, 4, 2]);
    const again = m.forward(x).latents;
    again.forEach((t, i) => expect(maxAbsDiff(t, a[i]!)).toBeLessThan(1e-4));
  });

  it('trace: per-layer mean log-det and output variance, and every activation output', () => {
    const m = build(toyImage({ ablation: { afterCoupling: 'tanh', transportCost: 0, unconstrained: false } }), 11);
    perturb(m.variables, 0.1, 35);
    const x = tf.randomUniform([4, 4, 4, 2], -0.5, 0.5, 'float32', 9);
    const { trace, logdet } = m.forward(x, { trace: true });
    expect(m.layers.map((l) => l.kind).slice(0, 4)).toEqual(['conv', 'aff', 'squash', 'act']);
    expect(trace!.logdet).toHaveLength(m.layers.length);
    expect(trace!.variance).toHaveLength(m.layers.length);
    expect(trace!.activationOutputs).toHaveLength(4);
    // Recompute layer by layer through the layer objects (levels of 2 blocks × 4 layers).
    let h: Tensor = x;
    let sumMean = 0;
    m.bijections.forEach((layer, i) => {
      const r = layer.forward(h);
      h = r.y;
      const mean = tf.mean(r.logdet).dataSync()[0]!;
      sumMean += mean;
      expect(trace!.logdet[i]!.dataSync()[0]).toBeCloseTo(mean, 4);
      expect(trace!.variance[i]!.dataSync()[0]).toBeCloseTo(tf.moments(h).variance.dataSync()[0]!, 5);
      if (layer.descriptor.kind === 'act') {
        const k = m.layers.slice(0, i + 1).filter((l) => l.kind === 'act').length - 1;
        expect(maxAbsDiff(trace!.activationOutputs[k]!, h)).toBe(0);
      }
      if (i === 7) h = tf.split(h, [4, 4], 3)[0]!;
    });
    expect(tf.mean(logdet).dataSync()[0]).toBeCloseTo(sumMean, 3);
  });

  it('keeps the tensor count constant across forward, inverse, logProb and gradients', () => {
    const m = build(toyImage(), 12);
    perturb(m.variables, 0.1, 36);
    const x = tf.randomUniform([2, 4, 4, 2], -0.5, 0.5, 'float32', 10);
    const blockInput = tf.zeros([1, 2, 2, 8]);
    const round = () => {
      const enc = m.forward(x, { trace: true });
      const back = m.inverse(enc.latents);
      const lp = m.logProb(x);
      const { value, grads } = tf.variableGrads(() => tf.neg(tf.mean(m.logProb(x))) as tf.Scalar, [...m.variables]);
      const block = m.blocks[1]!.apply(blockInput);
      tf.dispose([enc.latents, enc.logdet, enc.trace!.logdet, enc.trace!.variance, enc.trace!.mean, enc.trace!.activationOutputs, enc.trace!.blocks.flatMap((b) => [b.input, b.output]), back, lp, value, Object.values(grads), block]);
    };
    round();
    const before = tf.memory().numTensors;
    for (let i = 0; i < 3; i++) round();
    expect(tf.memory().numTensors).toBe(before);
  });
});
