import { describe, expect, it } from 'vitest';
import { PRESETS, RunOverridesSchema, checkModelShape, resolveRunConfig } from '../../src-shared/config';
import { parseDataSpec } from '../../src-shared/dataSpec';

describe('presets and configs', () => {
  it('every preset has a consistent multi-scale shape', () => {
    for (const preset of Object.values(PRESETS)) expect(checkModelShape(preset.model), preset.name).toEqual([]);
  });

  it('fashion-mnist-small is exactly the preset the issue specifies', () => {
    const m = PRESETS['fashion-mnist-small'].model;
    expect(m.inputShape).toEqual([28, 28, 1]);
    expect([m.levels, m.blocksPerLevel, m.firstConvKernel, m.convKernel, m.splitFraction]).toEqual([2, 4, 2, 1, 0.5]);
    expect(m.coupling).toEqual({ network: 'convnet', hidden: 64, mixtures: 4 });
    expect([m.activation.bins, m.beta, m.bits, PRESETS['fashion-mnist-small'].train.batchSize]).toEqual([16, 0.8, 8, 64]);
  });

  it('applies overrides and names impossible configs', () => {
    const config = resolveRunConfig('fashion-mnist-small', { model: { beta: 0.5 }, train: { batchSize: 8 } });
    expect(config.model.beta).toBe(0.5);
    expect(config.train.batchSize).toBe(8);
    expect(config.model.coupling.hidden).toBe(64);
    expect(() => resolveRunConfig('fashion-mnist-small', { model: { levels: 4 } })).toThrow(/not divisible by kernel 2/);
    expect(() => resolveRunConfig('paper-cifar10', { model: { splitFraction: 0.3 } })).toThrow(/not a whole number/);
  });

  it('an override of one field keeps the preset value of its siblings, schema defaults included', () => {
    // The paper presets warm up for 500 steps; the schema's own default for warmupSteps is 0.
    // Overriding the initial rate alone (through the same parse the CLI and the form use) must
    // not put that default in place of the preset's warm-up.
    const overrides = RunOverridesSchema.parse({ train: { learningRate: { initial: 0.005 } } });
    expect(overrides.train?.learningRate).toEqual({ initial: 0.005 });
    const config = resolveRunConfig('paper-cifar10', overrides);
    expect(config.train.learningRate.initial).toBe(0.005);
    expect(config.train.learningRate.warmupSteps).toBe(PRESETS['paper-cifar10'].train.learningRate.warmupSteps);
    expect(config.train.learningRate.warmupSteps).toBeGreaterThan(0);
    // The stripped defaults still validate what is given, and strictness survives.
    expect(RunOverridesSchema.safeParse({ train: { learningRate: { warmupSteps: -1 } } }).success).toBe(false);
    expect(RunOverridesSchema.safeParse({ train: { learningRate: { warmup: 5 } } }).success).toBe(false);
    expect(RunOverridesSchema.safeParse({ model: { coupling: { hiden: 5 } } }).success).toBe(false);
  });

  it('parses data specs and names bad ones', () => {
    expect(parseDataSpec('folder:/data/celeba?size=256&bits=5')).toMatchObject({ format: 'folder', path: '/data/celeba', options: { size: 256, bits: 5 } });
    expect(parseDataSpec('toy:8gaussians')).toMatchObject({ format: 'toy', toy: '8gaussians' });
    expect(() => parseDataSpec('nope:/x')).toThrow(/unknown data format "nope"/);
    expect(() => parseDataSpec('toy:spiral')).toThrow(/unknown toy "spiral"/);
    expect(() => parseDataSpec('folder:/x?size=big')).toThrow(/size/);
    expect(() => parseDataSpec('/just/a/path')).toThrow(/<format>:<path>/);
  });
});
