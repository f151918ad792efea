import { describe, expect, it } from 'vitest';
import { resolveRunConfig } from '../../src-shared/config';
import { changedKeys, configTable, flattenConfig } from '../../src-renderer/src/lib/configDiff';

describe('config tables', () => {
  it('flattens a run config into dotted keys, arrays as one value', () => {
    const flat = flattenConfig(resolveRunConfig('fashion-mnist-small'));
    expect(flat['model.inputShape']).toBe('28×28×1');
    expect(flat['model.coupling.hidden']).toBe(String(resolveRunConfig('fashion-mnist-small').model.coupling.hidden));
    expect(flat['preset']).toBe('fashion-mnist-small');
    expect(Object.keys(flat).every((k) => !k.endsWith('.'))).toBe(true);
  });

  it('flags exactly the keys where runs differ, a key one run lacks included', () => {
    const a = resolveRunConfig('fashion-mnist-small');
    const b = resolveRunConfig('fashion-mnist-small', { train: { steps: 7 }, model: { beta: 0.6 } });
    const c = { ...b, extra: { only: 1 } };
    const rows = configTable([a, b, c]);
    expect(rows.filter((r) => r.differs).map((r) => r.key).sort()).toEqual(['extra.only', 'model.beta', 'train.steps']);
    expect(rows.find((r) => r.key === 'extra.only')?.values).toEqual([undefined, undefined, '1']);
    expect(changedKeys(a, b).sort()).toEqual(['model.beta', 'train.steps']);
  });
});
