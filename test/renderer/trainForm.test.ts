// @vitest-environment happy-dom
import { describe, expect, it } from 'vitest';
import { PRESETS, resolveRunConfig } from '../../src-shared/config';
import { FIELDS, parseField, validateForm, valuesFromPreset } from '../../src-renderer/src/lib/trainForm';

describe('train form validation', () => {
  it('a preset as it is validates, and sends only the data spec', () => {
    const v = validateForm('paper-cifar10', PRESETS['paper-cifar10'].defaultData, valuesFromPreset('paper-cifar10'));
    expect(v.fieldErrors).toEqual({});
    expect(v.problems).toEqual([]);
    expect(v.overrides).toEqual({ data: PRESETS['paper-cifar10'].defaultData });
    expect(v.config).toEqual(resolveRunConfig('paper-cifar10'));
  });

  it('edited fields become overrides that resolve to the config shown', () => {
    const values = { ...valuesFromPreset('fashion-mnist-small'), 'model.beta': '0.6', 'train.steps': '20', 'model.ablation.unconstrained': true, 'model.ablation.afterCoupling': 'tanh' };
    const v = validateForm('fashion-mnist-small', 'mnist:/data/mnist', values);
    expect(v.overrides).toEqual({
      data: 'mnist:/data/mnist',
      model: { beta: 0.6, ablation: { unconstrained: true, afterCoupling: 'tanh' } },
      train: { steps: 20 },
    });
    expect(resolveRunConfig('fashion-mnist-small', v.overrides!)).toEqual(v.config);
  });

  it('names the field: empty, not a number, fractional count, out of range', () => {
    const values = { ...valuesFromPreset('toy2d'), 'model.levels': '', 'model.coupling.hidden': 'abc', 'train.batchSize': '2.5', 'model.beta': '1.5' };
    const v = validateForm('toy2d', 'toy:pinwheel', values);
    expect(v.fieldErrors['model.levels']).toBe('required');
    expect(v.fieldErrors['model.coupling.hidden']).toBe('not a number');
    expect(v.fieldErrors['train.batchSize']).toBe('must be a whole number');
    expect(v.fieldErrors['model.beta']).toMatch(/1/);
    expect(v.overrides).toBeNull();
  });

  it('reports shape arithmetic that cannot work (checkModelShape), against the dataset shape when known', () => {
    const values = { ...valuesFromPreset('fashion-mnist-small'), 'model.levels': '3' };
    const v = validateForm('fashion-mnist-small', 'fashion-mnist:/x', values);
    expect(v.problems.join(' ')).toMatch(/not divisible by kernel 2/);
    expect(v.overrides).toBeNull();
    // A 64x64 folder makes three levels of k = 2 possible, and the shape is sent along.
    const ok = validateForm('fashion-mnist-small', 'folder:/faces?size=64', values, [64, 64, 3]);
    expect(ok.problems).toEqual([]);
    expect(ok.overrides?.model?.inputShape).toEqual([64, 64, 3]);
  });

  it('checks the data spec and that toys go with the toy preset', () => {
    expect(validateForm('toy2d', 'nonsense', valuesFromPreset('toy2d')).fieldErrors['data']).toMatch(/format/);
    expect(validateForm('toy2d', 'toy:moons', valuesFromPreset('toy2d')).fieldErrors['data']).toMatch(/unknown toy/);
    expect(validateForm('toy2d', 'cifar10:/c', valuesFromPreset('toy2d')).fieldErrors['data']).toMatch(/toy2d preset/);
    expect(validateForm('paper-cifar10', 'toy:pinwheel', valuesFromPreset('paper-cifar10')).fieldErrors['data']).toMatch(/toy2d/);
  });

  it('every field reads back the preset value it was filled with', () => {
    for (const preset of Object.keys(PRESETS) as (keyof typeof PRESETS)[]) {
      const values = valuesFromPreset(preset);
      for (const field of FIELDS) expect(parseField(field, values[field.key]!), `${preset} ${field.key}`).not.toHaveProperty('error');
    }
  });
});
