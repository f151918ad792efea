/**
 * `path=value` settings (the CLI's --set, the UI's "more settings"): values parse as JSON or
 * bare strings, land in RunOverrides validated by the config schema, problems are named by
 * path, and a resume's settings are compared with the run's config field by field.
 */
import { describe, expect, it } from 'vitest';
import { resolveRunConfig } from '../../src-shared/config';
import { applySettings, overridesConflicts, parseSetting, parseSettingValue } from '../../src-shared/settings';

describe('setting values', () => {
  it('are JSON when they parse, the bare text otherwise', () => {
    expect(parseSettingValue('32')).toBe(32);
    expect(parseSettingValue('1e-3')).toBe(0.001);
    expect(parseSettingValue('true')).toBe(true);
    expect(parseSettingValue('[32,32,3]')).toEqual([32, 32, 3]);
    expect(parseSettingValue('"007"')).toBe('007');
    expect(parseSettingValue('toy:two-moons')).toBe('toy:two-moons');
    expect(parseSettingValue('resnet-se')).toBe('resnet-se');
  });

  it('need a dotted path of names before "="', () => {
    expect(parseSetting('train.learningRate.warmupSteps=0')).toEqual({ path: 'train.learningRate.warmupSteps', segments: ['train', 'learningRate', 'warmupSteps'], value: 0 });
    expect(parseSetting('data=folder:/x?size=64')).toMatchObject({ value: 'folder:/x?size=64' });
    expect(() => parseSetting('model.levels')).toThrow(/must be path=value/);
    expect(() => parseSetting('=3')).toThrow(/must be path=value/);
    expect(() => parseSetting('model..levels=3')).toThrow(/not a path of names/);
    expect(() => parseSetting('__proto__.polluted=1')).toThrow(/not a path of names/);
    expect(({} as Record<string, unknown>)['polluted']).toBeUndefined();
  });
});

describe('applySettings', () => {
  it('merges settings into overrides that resolve to the expected config', () => {
    const overrides = applySettings({ train: { steps: 10 } }, [
      'model.blocksPerLevel=32',
      'train.learningRate.warmupSteps=0',
      'model.coupling.network=resnet-se',
      'data=toy:rings',
    ]);
    expect(overrides).toEqual({
      data: 'toy:rings',
      model: { blocksPerLevel: 32, coupling: { network: 'resnet-se' } },
      train: { steps: 10, learningRate: { warmupSteps: 0 } },
    });
    const config = resolveRunConfig('paper-cifar10', overrides);
    expect(config.model.blocksPerLevel).toBe(32);
    expect(config.model.coupling).toEqual({ network: 'resnet-se', hidden: 128, mixtures: 4, seReduction: 2 });
    expect(config.train.learningRate).toMatchObject({ initial: 0.01, warmupSteps: 0 });
  });

  it('names every bad setting and what the schema wants', () => {
    let message = '';
    try {
      applySettings({}, ['model.blocksPerLevel=0', 'model.beta=1.5', 'train.seed=x', 'model.coupling.network=mlp', 'model.levls=2', 'train.batchSize=2.5']);
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message).toContain('model.blocksPerLevel must be an integer ≥ 1, got 0');
    expect(message).toContain('model.beta must be a number ≤ 1, got 1.5');
    expect(message).toContain('train.seed must be an integer, got "x"');
    expect(message).toContain('model.coupling.network must be one of resnet-se, convnet, dense, resnet, got "mlp"');
    expect(message).toMatch(/model\.levls is not a setting \(known here: architecture, inputShape, levels, /);
    expect(message).toContain('train.batchSize must be an integer, got 2.5');
  });

  it('refuses a path through a value', () => {
    expect(() => applySettings({}, ['data=toy:rings', 'data.path=x'])).toThrow(/data is a value, not a group of settings/);
  });
});

describe('overridesConflicts', () => {
  const config = resolveRunConfig('toy2d', { data: 'toy:rings', train: { batchSize: 64 } });

  it('is empty when every given setting matches the run', () => {
    expect(overridesConflicts(config, { data: 'toy:rings', train: { batchSize: 64 }, model: { inputShape: [2] } })).toEqual([]);
  });

  it('names each difference, except the paths a resume may change', () => {
    const conflicts = overridesConflicts(config, { data: 'toy:moons', train: { batchSize: 32, steps: 99 }, model: { coupling: { hidden: 8 } } }, ['train.steps']);
    expect(conflicts).toEqual([
      'data: "toy:moons" was given, the run has "toy:rings"',
      'train.batchSize: 32 was given, the run has 64',
      'model.coupling.hidden: 8 was given, the run has 64',
    ]);
  });
});
