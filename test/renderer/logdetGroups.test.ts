import { describe, expect, it } from 'vitest';
import { resolveRunConfig } from '../../src-shared/config';
import { logdetSeries, seriesValue } from '../../src-renderer/src/lib/charts/logdetGroups';
import { layersFor } from './helpers/fakeEngine';

const layers = layersFor(resolveRunConfig('fashion-mnist-small'));

describe('log-det grouping (Fig. 2)', () => {
  it('per layer keeps every layer; a kind filter keeps that kind only', () => {
    expect(logdetSeries(layers, 'layer', 'all').map((s) => s.label)).toEqual(layers.map((l) => l.name));
    const convs = logdetSeries(layers, 'layer', 'conv');
    expect(convs.map((s) => s.indices[0])).toEqual(layers.flatMap((l, i) => (l.kind === 'conv' ? [i] : [])));
  });

  it('sums per block and per level over the chosen layers, in flow order', () => {
    const { levels, blocksPerLevel } = resolveRunConfig('fashion-mnist-small').model;
    const blocks = logdetSeries(layers, 'block', 'all');
    expect(blocks).toHaveLength(levels * blocksPerLevel);
    expect(blocks[0]!.label).toBe('L1.B1');
    const perLevel = logdetSeries(layers, 'level', 'conv');
    expect(perLevel.map((s) => s.label)).toEqual(Array.from({ length: levels }, (_, l) => `L${l + 1} conv`));
    // Every layer's log-det counted once, whatever the grouping.
    const values = layers.map((_, i) => (i % 3) - 0.7 * i);
    const total = values.reduce((a, b) => a + b, 0);
    for (const grouping of ['layer', 'block', 'level'] as const) {
      const sum = logdetSeries(layers, grouping, 'all').reduce((a, s) => a + seriesValue(values, s)!, 0);
      expect(sum).toBeCloseTo(total, 10);
    }
    // A level's conv sum by hand.
    const level2 = layers.flatMap((l, i) => (l.level === 1 && l.kind === 'conv' ? [values[i]!] : [])).reduce((a, b) => a + b, 0);
    expect(seriesValue(values, perLevel[1]!)).toBeCloseTo(level2, 12);
    expect(seriesValue(values.slice(0, 2), perLevel[1]!)).toBeUndefined();
  });
});
