/**
 * One contract for every bijection (as nflows' assert_forward_inverse_are_consistent and zuko's
 * single transform test loop), run over every layer type, a composite block and whole models:
 *  - shapes: y has the expected shape, both log-dets are [batch] and finite;
 *  - inverse ∘ forward = id (and forward ∘ inverse = id on the image);
 *  - the forward log-det equals log|det J_f(x)| of the autodiff Jacobian (float64 elimination);
 *  - the inverse log-det equals −(forward log-det) and log|det J_{f⁻¹}(y)| of the inverse's own
 *    autodiff Jacobian, so the inverse is checked as a map of its own;
 *  - no tensor survives a forward or inverse call but what it returns.
 * Parameters are moved away from their (near-identity) initialisation first.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type CouplingNetwork, type ModelConfig, PRESETS } from '../../../src-shared/config';
import type { LayerDescriptor } from '../../../src-shared/protocol';
import { initBackend } from '../../../src-main/engine/backend';
import { CompositeTransform } from '../../../src-main/engine/flow/composite';
import { blockInitialization } from '../../../src-main/engine/flow/init';
import { DualAffineCoupling } from '../../../src-main/engine/flow/layers/coupling';
import { ExpQrConv } from '../../../src-main/engine/flow/layers/expQrConv';
import { InvertibleConv } from '../../../src-main/engine/flow/layers/invConv';
import { Squash } from '../../../src-main/engine/flow/layers/squash';
import { ActNorm } from '../../../src-main/engine/flow/layers/actNorm';
import { type CouplingMask, type CouplingScale, MaskedCoupling } from '../../../src-main/engine/flow/layers/maskedCoupling';
import { ChannelPermutation, SqueezeLayer } from '../../../src-main/engine/flow/layers/permute';
import { SplineCoupling } from '../../../src-main/engine/flow/layers/splineCoupling';
import { SplitPrior } from '../../../src-main/engine/flow/layers/splitPrior';
import { createFlowModel } from '../../../src-main/engine/flow/model';
import type { Transform } from '../../../src-main/engine/flow/types';
import { type Tensor, tf } from '../../../src-main/engine/tf';
import { jacobianLogDet, maxAbs, maxAbsDiff, perturb } from './helpers';
import { makeLayer, randomize } from './rqHelpers';

let counter = 0;
const descriptor = (kind: LayerDescriptor['kind']): LayerDescriptor => ({ name: `contract${++counter}.${kind}`, level: 0, block: counter, kind });
const disposers: (() => void)[] = [];
const keep = <T extends { dispose(): void }>(t: T): T => {
  disposers.push(() => t.dispose());
  return t;
};

function conv(channels: number, kernel: number): InvertibleConv {
  const layer = keep(new InvertibleConv({ descriptor: descriptor('conv'), channels, kernel, kappa: 1.1, variablePrefix: `contract-conv-${counter}/` }));
  perturb(layer.variables, 0.2, counter);
  return layer;
}

function expQrConv(channels: number, kernel: number): ExpQrConv {
  const layer = keep(new ExpQrConv({ descriptor: descriptor('conv'), channels, kernel, kappa: 1.1, variablePrefix: `contract-expqr-${counter}/` }));
  perturb(layer.variables, 0.2, counter);
  return layer;
}

function coupling(channels: number, network: CouplingNetwork, unconstrained = false): DualAffineCoupling {
  const init = blockInitialization(0.8, 2);
  const layer = new DualAffineCoupling({
    descriptor: descriptor('aff'),
    channels,
    network,
    hidden: 8,
    mixtures: 2,
    unconstrained,
    logScaleInit: init.logScale,
    mexicanHatBiases: init.mexicanHatBiases,
    seed: counter,
    variablePrefix: `contract-aff-${counter}/`,
  });
  disposers.push(() => layer.dispose());
  perturb(layer.variables, 0.2, counter);
  return layer;
}

function activation(channels: number, variant: 'paper' | 'strict', unconstrained = false) {
  const layer = keep(makeLayer({ channels, variant, unconstrained, bins: 8 }));
  randomize(layer, counter, { x: 0.8, y: 1, a: 1, logW: 0.2 });
  return layer;
}

function actNorm(channels: number): ActNorm {
  const layer = keep(new ActNorm(descriptor('actnorm'), channels, `contract-actnorm-${counter}/`));
  perturb(layer.variables, 0.5, counter);
  return layer;
}

function masked(channels: number, mask: CouplingMask, scale: CouplingScale, parity: number, network: CouplingNetwork = 'convnet'): MaskedCoupling {
  const layer = keep(new MaskedCoupling({ descriptor: descriptor('aff'), channels, mask, parity, scale, network, hidden: 8, resBlocks: 1, seed: counter, variablePrefix: `contract-masked-${counter}/` }));
  perturb(layer.variables, 0.2, counter);
  return layer;
}

function spline(channels: number, parity: number, network: CouplingNetwork = 'convnet', spread = 0.3): SplineCoupling {
  const layer = keep(new SplineCoupling({ descriptor: descriptor('spline'), channels, parity, bins: 5, tailBound: 2, network, hidden: 8, resBlocks: 1, seed: counter, variablePrefix: `contract-spline-${counter}/` }));
  perturb(layer.variables, spread, counter);
  return layer;
}

function splitPrior(channels: number, keepChannels: number, image: boolean): SplitPrior {
  const layer = keep(new SplitPrior(descriptor('prior'), channels, keepChannels, image, `contract-prior-${counter}/`));
  perturb(layer.variables, 0.2, counter);
  return layer;
}

interface Case {
  name: string;
  transform: () => Transform;
  /** Input shape with a batch of 2, and the scale of the test inputs. */
  input: number[];
  scale?: number;
  output: number[];
}

const cases: Case[] = [
  { name: 'f_conv k=1 on 3×3×3', transform: () => conv(3, 1), input: [2, 3, 3, 3], output: [2, 3, 3, 3] },
  { name: 'f_conv k=2 on 4×4×2', transform: () => conv(2, 2), input: [2, 4, 4, 2], output: [2, 2, 2, 8] },
  { name: 'f_conv on vectors (d=5)', transform: () => conv(5, 1), input: [2, 5], output: [2, 5] },
  { name: 'f_conv, exp-QR weight, k=2 on 4×4×2', transform: () => expQrConv(2, 2), input: [2, 4, 4, 2], output: [2, 2, 2, 8] },
  { name: 'f_aff convnet', transform: () => coupling(4, 'convnet'), input: [2, 3, 3, 4], output: [2, 3, 3, 4] },
  { name: 'f_aff resnet-se', transform: () => coupling(3, 'resnet-se'), input: [2, 3, 3, 3], output: [2, 3, 3, 3] },
  { name: 'f_aff dense', transform: () => coupling(4, 'dense'), input: [2, 4], output: [2, 4] },
  { name: 'f_aff unconstrained', transform: () => coupling(4, 'convnet', true), input: [2, 2, 2, 4], output: [2, 2, 2, 4] },
  { name: 'f_act RQ paper', transform: () => activation(3, 'paper'), input: [2, 2, 2, 3], scale: 2, output: [2, 2, 2, 3] },
  { name: 'f_act RQ strict', transform: () => activation(3, 'strict'), input: [2, 2, 2, 3], scale: 2, output: [2, 2, 2, 3] },
  { name: 'f_act RQ unconstrained', transform: () => activation(2, 'paper', true), input: [2, 5, 2], scale: 2, output: [2, 5, 2] },
  { name: 'squash tanh', transform: () => new Squash(descriptor('squash'), 'tanh'), input: [2, 2, 2, 3], scale: 0.8, output: [2, 2, 2, 3] },
  { name: 'squash normal-cdf', transform: () => new Squash(descriptor('squash'), 'normal-cdf'), input: [2, 2, 2, 3], scale: 0.8, output: [2, 2, 2, 3] },
  { name: 'actnorm', transform: () => actNorm(3), input: [2, 2, 2, 3], output: [2, 2, 2, 3] },
  { name: 'actnorm on vectors', transform: () => actNorm(4), input: [2, 4], output: [2, 4] },
  { name: 'Glow affine coupling, sigmoid(h + 2)', transform: () => masked(4, 'channel', 'sigmoid', 0), input: [2, 3, 3, 4], output: [2, 3, 3, 4] },
  { name: 'Glow affine coupling on vectors, parity 1 (dense)', transform: () => masked(5, 'channel', 'sigmoid', 1, 'dense'), input: [2, 5], output: [2, 5] },
  { name: 'additive coupling', transform: () => masked(4, 'channel', 'additive', 1), input: [2, 3, 3, 4], output: [2, 3, 3, 4] },
  { name: 'RealNVP checkerboard, tanh scale (resnet)', transform: () => masked(2, 'checkerboard', 'tanh', 0, 'resnet'), input: [2, 4, 4, 2], output: [2, 4, 4, 2] },
  { name: 'RealNVP checkerboard, parity 1', transform: () => masked(3, 'checkerboard', 'tanh', 1), input: [2, 3, 3, 3], output: [2, 3, 3, 3] },
  { name: 'RealNVP channel-wise, tanh scale', transform: () => masked(4, 'channel', 'tanh', 1), input: [2, 2, 2, 4], output: [2, 2, 2, 4] },
  { name: 'RQ spline coupling (K=5, B=2), some inputs in the tails', transform: () => spline(4, 0), input: [2, 2, 2, 4], scale: 1.5, output: [2, 2, 2, 4] },
  { name: 'RQ spline coupling on vectors, parity 1 (dense)', transform: () => spline(3, 1, 'dense', 0.1), input: [2, 3], scale: 1.2, output: [2, 3] },
  { name: 'Glow learned split prior', transform: () => splitPrior(4, 2, true), input: [2, 3, 3, 4], output: [2, 3, 3, 4] },
  { name: 'learned split prior on vectors', transform: () => splitPrior(5, 2, false), input: [2, 5], output: [2, 5] },
  { name: 'reverse permutation', transform: () => new ChannelPermutation(descriptor('perm'), 5, 'reverse', 0), input: [2, 2, 2, 5], output: [2, 2, 2, 5] },
  { name: 'fixed random permutation', transform: () => keep(new ChannelPermutation(descriptor('perm'), 6, 'shuffle', 7)), input: [2, 2, 2, 6], output: [2, 2, 2, 6] },
  { name: 'squeeze layer', transform: () => new SqueezeLayer(descriptor('squeeze'), 2), input: [2, 4, 4, 1], output: [2, 2, 2, 4] },
  {
    name: 'a Glow step (actnorm → 1×1 conv → affine coupling) then a split prior',
    transform: () => new CompositeTransform('glow', [actNorm(4), conv(4, 1), masked(4, 'channel', 'sigmoid', 0), splitPrior(4, 2, true)]),
    input: [2, 2, 2, 4],
    output: [2, 2, 2, 4],
  },
  {
    name: 'a composite block (f_act ∘ squash ∘ f_aff ∘ f_conv, k=2)',
    transform: () => new CompositeTransform('block', [conv(2, 2), coupling(8, 'convnet'), new Squash(descriptor('squash'), 'tanh'), activation(8, 'strict')]),
    input: [2, 4, 4, 2],
    scale: 0.5,
    output: [2, 2, 2, 8],
  },
];

/** Relative agreement of two log-dets: the tolerance of the existing Jacobian tests. */
function expectLogdet(own: number, reference: number): void {
  expect(Math.abs(own - reference)).toBeLessThan(1e-3 * Math.max(1, Math.abs(reference)));
}

/** Each example's own slice [1, ...] of a batch. */
function example(t: Tensor, i: number): Tensor {
  return tf.slice(t, [i, ...Array<number>(t.rank - 1).fill(0)], [1, ...t.shape.slice(1)]);
}

beforeAll(async () => {
  await initBackend('cpu');
});
afterAll(() => {
  for (const d of disposers.splice(0)) d();
});

describe('bijection contract', () => {
  for (const c of cases) {
    it(c.name, () => {
      const t = c.transform();
      const x = tf.mul(tf.randomNormal(c.input, 0, 1, 'float32', counter), c.scale ?? 1);
      const before = tf.memory().numTensors;
      const fwd = t.forward(x);
      const back = t.inverse(fwd.y);
      expect(tf.memory().numTensors).toBe(before + 4); // y, logdet, x, logdet: nothing else survives
      expect(fwd.y.shape).toEqual(c.output);
      expect(fwd.logdet.shape).toEqual([c.input[0]]);
      expect(back.x.shape).toEqual(c.input);
      expect(back.logdet.shape).toEqual([c.input[0]]);
      const forwardLogdet = Array.from(fwd.logdet.dataSync());
      expect(forwardLogdet.every(Number.isFinite)).toBe(true);
      // inverse ∘ forward = id, relative to the input's scale; forward ∘ inverse = id on the image.
      expect(maxAbsDiff(back.x, x)).toBeLessThan(1e-4 * Math.max(1, maxAbs(x)));
      const again = t.forward(back.x);
      expect(maxAbsDiff(again.y, fwd.y)).toBeLessThan(1e-4 * Math.max(1, maxAbs(fwd.y)));
      // Inverse log-det = −forward log-det.
      expect(maxAbsDiff(back.logdet, tf.neg(fwd.logdet))).toBeLessThan(1e-4 * Math.max(1, maxAbs(fwd.logdet)));
      for (let i = 0; i < c.input[0]!; i++) {
        const xi = example(x, i);
        const yi = example(fwd.y, i);
        expectLogdet(forwardLogdet[i]!, jacobianLogDet((v) => t.forward(v).y, xi));
        expectLogdet(back.logdet.dataSync()[i]!, jacobianLogDet((v) => t.inverse(v).x, yi));
      }
      tf.dispose([x, fwd.y, fwd.logdet, back.x, back.logdet, again.y, again.logdet]);
    });
  }
});

/** The whole multi-scale model as a map of flat vectors: x ↦ every level's latent, concatenated. */
describe('bijection contract: whole models', () => {
  const fashion = PRESETS['fashion-mnist-small'].model;
  const models: [string, ModelConfig][] = [
    ['2-level image model (convnet, k=2 then 1, split ½, tanh squash)', { ...fashion, inputShape: [4, 4, 2], blocksPerLevel: 2, coupling: { network: 'convnet', hidden: 8, mixtures: 2 }, ablation: { ...fashion.ablation, afterCoupling: 'tanh' } }],
    ['2-level image model (resnet-se, strict activation)', { ...fashion, inputShape: [4, 4, 1], blocksPerLevel: 2, coupling: { network: 'resnet-se', hidden: 8, mixtures: 2 }, activation: { ...fashion.activation, variant: 'strict' } }],
    ['toy2d (dense, 8 blocks)', PRESETS.toy2d.model],
    ['Glow, 2 levels on 4×4×1 (squeeze, actnorm, 1×1 conv, affine coupling, learned split prior)', { ...PRESETS['glow-fashion'].model, inputShape: [4, 4, 1], blocksPerLevel: 2, coupling: { network: 'convnet', hidden: 8, mixtures: 1 } }],
    ['RQ-NSF, 2 levels on 4×4×1 (spline couplings, resnet)', { ...PRESETS['nsf-fashion'].model, inputShape: [4, 4, 1], blocksPerLevel: 2, coupling: { network: 'resnet', hidden: 8, mixtures: 1, resBlocks: 1 } }],
    ['RealNVP, 2 levels on 4×4×1 (checkerboard, squeeze, channel-wise, checkerboard)', { ...PRESETS['realnvp-fashion'].model, inputShape: [4, 4, 1], coupling: { network: 'resnet', hidden: 8, mixtures: 1, resBlocks: 1 } }],
    ['toy2d-glow', PRESETS['toy2d-glow'].model],
    ['toy2d-additive', PRESETS['toy2d-additive'].model],
    ['toy2d-nsf', PRESETS['toy2d-nsf'].model],
    ['toy2d-realnvp', PRESETS['toy2d-realnvp'].model],
    ['Glow on 8-D vectors, 3 levels with learned split priors', { ...PRESETS['toy2d-glow'].model, inputShape: [8], levels: 3, blocksPerLevel: 1 }],
  ];
  for (const [name, config] of models) {
    it(name, () => {
      const m = createFlowModel(config, { seed: 5 });
      disposers.push(() => m.dispose());
      perturb(m.variables, 0.05, 9);
      const batch = 2;
      const x = config.inputShape.length === 1 ? tf.randomNormal([batch, ...config.inputShape], 0, 1.5, 'float32', 3) : tf.randomUniform([batch, ...config.inputShape], -0.5, 0.5, 'float32', 3);
      const flat = (input: Tensor): Tensor => tf.concat(m.forward(input).latents.map((z) => tf.reshape(z, [z.shape[0]!, -1])), 1);
      const unflat = (z: Tensor): Tensor => {
        const sizes = m.latentShapes.map((s) => s.reduce((a, b) => a * b, 1));
        const parts = sizes.length === 1 ? [z] : tf.split(z, sizes, 1); // (tfjs cannot differentiate a one-part split)
        return m.inverse(parts.map((p, l) => tf.reshape(p, [z.shape[0]!, ...m.latentShapes[l]!])));
      };
      const before = tf.memory().numTensors;
      const enc = m.forward(x);
      const back = m.inverse(enc.latents);
      expect(tf.memory().numTensors).toBe(before + enc.latents.length + 2);
      expect(enc.latents.map((z) => z.shape.slice(1))).toEqual(m.latentShapes);
      expect(enc.logdet.shape).toEqual([batch]);
      expect(back.shape).toEqual(x.shape);
      expect(maxAbsDiff(back, x)).toBeLessThan(1e-4 * Math.max(1, maxAbs(x)));
      // The levels, run by hand with the splits, are the model: what a recomputing backward pass walks.
      tf.tidy(() => {
        let h: Tensor = x;
        let total: Tensor = tf.zeros([batch]);
        m.levels.forEach((level, l) => {
          const r = level.forward(h);
          total = tf.add(total, r.logdet);
          const keepChannels = m.plan.levels[l]!.keepChannels;
          const axis = r.y.rank - 1;
          const [kept, out] = keepChannels > 0 ? tf.split(r.y, [keepChannels, r.y.shape[axis]! - keepChannels], axis) : [r.y, r.y];
          expect(maxAbsDiff(out!, enc.latents[l]!)).toBe(0);
          expect(maxAbsDiff(level.inverse(r.y).x, h)).toBeLessThan(1e-4 * Math.max(1, maxAbs(h)));
          h = kept!;
        });
        expect(maxAbsDiff(total, enc.logdet)).toBeLessThan(1e-5 * Math.max(1, maxAbs(enc.logdet)));
      });
      const logdet = Array.from(enc.logdet.dataSync());
      for (let i = 0; i < batch; i++) {
        const xi = example(x, i);
        expectLogdet(logdet[i]!, jacobianLogDet(flat, xi));
        // The inverse as a map of its own: log|det J_{f⁻¹}(z)| = −log|det J_f(x)|.
        const zi = tf.tidy(() => flat(xi));
        expectLogdet(-logdet[i]!, jacobianLogDet(unflat, zi));
      }
      tf.dispose([x, ...enc.latents, enc.logdet, back]);
    });
  }
});
