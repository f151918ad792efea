/** The analytic parameter count against the variables of real models built from the same configs. */
import { beforeAll, describe, expect, it } from 'vitest';
import type { ModelConfig } from '../../../src-shared/config';
import { PRESETS } from '../../../src-shared/presets';
import { initBackend } from '../../../src-main/engine/backend';
import { createFlowModel } from '../../../src-main/engine/flow/model';
import { countParameters } from '../../../src-main/engine/flow/parameterCount';
import { tf } from '../../../src-main/engine/tf';

beforeAll(async () => {
  await initBackend('cpu');
});

/** Sizes of a built model's variables, split by the layer kind in each parameter's name. */
function measured(config: ModelConfig): { total: number; conv: number; coupling: number; activation: number } {
  const before = tf.memory().numTensors;
  const model = createFlowModel(config, { seed: 0 });
  const sums = { total: 0, conv: 0, coupling: 0, activation: 0 };
  model.variables.forEach((v, i) => {
    const kind = model.parameterNames[i]!.split('/')[0]!.split('.')[2]!;
    sums.total += v.size;
    if (kind === 'conv') sums.conv += v.size;
    else if (/^aff\d*$/.test(kind) || kind === 'spline') sums.coupling += v.size;
    else if (kind === 'act' || kind === 'actnorm' || kind === 'prior') sums.activation += v.size;
    else throw new Error(`unexpected parameter ${model.parameterNames[i]}`);
  });
  model.dispose();
  expect(tf.memory().numTensors).toBe(before);
  return sums;
}

const small = PRESETS['fashion-mnist-small'].model;
const variants: [string, ModelConfig][] = [
  ['fashion-mnist-small', small],
  ['toy2d', PRESETS.toy2d.model],
  ['vectors, 2 levels on 6 dims, unconstrained', { ...PRESETS.toy2d.model, inputShape: [6], levels: 2, splitFraction: 1 / 3, ablation: { ...small.ablation, unconstrained: true } }],
  ['resnet-se, default SE reduction, odd channels', { ...small, inputShape: [8, 8, 3], coupling: { network: 'resnet-se', hidden: 24, mixtures: 3 } }],
  ['resnet-se, SE reduction 8, 5 bins, tanh', { ...small, inputShape: [8, 8, 2], coupling: { network: 'resnet-se', hidden: 16, mixtures: 2, seReduction: 8 }, activation: { ...small.activation, bins: 5 }, ablation: { ...small.ablation, afterCoupling: 'tanh' } }],
  ['fashion-mnist-small with the GL⁺ conv weight', { ...small, convWeight: 'exp-qr' }],
  ['glow-fashion', PRESETS['glow-fashion'].model],
  ['nsf-fashion', PRESETS['nsf-fashion'].model],
  ['realnvp-fashion', PRESETS['realnvp-fashion'].model],
  ['toy2d-glow', PRESETS['toy2d-glow'].model],
  ['toy2d-additive', PRESETS['toy2d-additive'].model],
  ['toy2d-nsf', PRESETS['toy2d-nsf'].model],
  ['toy2d-realnvp', PRESETS['toy2d-realnvp'].model],
  ['glow on vectors, 3 levels with learned split priors', { ...PRESETS['toy2d-glow'].model, inputShape: [8], levels: 3, blocksPerLevel: 2 }],
  ['glow, 3 levels, shuffle, additive, exp-QR conv', { ...PRESETS['glow-fashion'].model, inputShape: [16, 16, 2], levels: 3, blocksPerLevel: 2, convWeight: 'exp-qr', architecture: { kind: 'glow', permutation: 'shuffle', coupling: 'additive', splitPrior: 'learned' } }],
  ['convnet, k = 2 in every block of 1 level', { ...small, inputShape: [16, 16, 1], levels: 1, blocksPerLevel: 3, convKernel: 2, coupling: { network: 'convnet', hidden: 8, mixtures: 1 } }],
];

describe('countParameters', () => {
  for (const [name, config] of variants) {
    it(`equals the built model's variables: ${name}`, () => {
      expect(countParameters(config)).toEqual(measured(config));
    });
  }

  // The paper presets themselves (12.45M and 23.37M parameters: seconds to build on cpu).
  for (const name of ['paper-cifar10', 'paper-celebahq1024', 'nsf-cifar10', 'realnvp-cifar10', 'glow-256'] as const) {
    it(`equals the built model's variables: ${name}`, () => {
      expect(countParameters(PRESETS[name].model)).toEqual(measured(PRESETS[name].model));
    }, 120_000);
  }

  it('names the problem of an impossible config', () => {
    expect(() => countParameters({ ...small, levels: 4 })).toThrow(/not divisible by kernel 2/);
  });
});
