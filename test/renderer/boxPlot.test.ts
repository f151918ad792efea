// @vitest-environment happy-dom
import { describe, expect, it, vi } from 'vitest';
import type { MetricsRecord } from '../../src-shared/protocol';
import { BoxChartController } from '../../src-renderer/src/lib/charts/boxController';
import { boxChartData, boxStats, varianceBoxes } from '../../src-renderer/src/lib/charts/boxStats';
import { readChartTheme } from '../../src-renderer/src/lib/charts/theme';
import { RunHistory } from '../../src-renderer/src/lib/history';
import { ManualFrames, fakeChartFactory } from './helpers/fakeChart';

const diag = (step: number, variances: number[]): MetricsRecord => ({ step, time: step, layerVariance: variances });

describe('box statistics', () => {
  it('quartiles interpolate linearly and ignore non-finite values', () => {
    expect(boxStats([5, 1, 3, 2, 4, Number.NaN])).toEqual({ min: 1, q1: 2, median: 3, q3: 4, max: 5, count: 5 });
    expect(boxStats([1, 2])).toMatchObject({ q1: 1.25, median: 1.5, q3: 1.75 });
    expect(boxStats([])).toBeNull();
  });

  it('per layer: one box per layer over the recent window or the whole run', () => {
    const records = [diag(10, [1, 10]), { step: 11, time: 11 }, diag(20, [2, 20]), diag(30, [3, 30])];
    const all = varianceBoxes(records, ['a', 'b'], 'layer-all');
    expect(all.map((g) => g.label)).toEqual(['a', 'b']);
    expect(all[0]!.stats).toMatchObject({ min: 1, median: 2, max: 3, count: 3 });
    expect(all[1]!.stats).toMatchObject({ min: 10, median: 20, max: 30 });
    const recent = varianceBoxes(records, ['a', 'b'], 'layer-recent', 2);
    expect(recent[0]!.stats).toMatchObject({ min: 2, max: 3, count: 2 });
  });

  it('per stretch of training: boxes over every layer, in step order', () => {
    const records = Array.from({ length: 100 }, (_, i) => diag(i + 1, [i, i + 100]));
    const groups = varianceBoxes(records, ['a', 'b'], 'step', 50, 4);
    expect(groups).toHaveLength(4);
    expect(groups[0]!.stats!.count).toBe(50); // 25 records x 2 layers
    expect(groups.map((g) => g.stats!.min)).toEqual([0, 25, 50, 75]);
  });

  it('turns boxes into floating bars and median points', () => {
    const data = boxChartData([
      { label: 'a', stats: { min: 1, q1: 2, median: 3, q3: 4, max: 5, count: 5 } },
      { label: 'b', stats: null },
    ]);
    expect(data).toEqual({ labels: ['a', 'b'], whiskers: [[1, 5], null], boxes: [[2, 4], null], medians: [3, null] });
  });
});

describe('BoxChartController', () => {
  it('recomputes from the history at most every interval, only when variances arrived', () => {
    vi.useFakeTimers();
    try {
      const { factory, charts } = fakeChartFactory();
      const frames = new ManualFrames();
      let now = 0;
      const history = new RunHistory();
      history.replace([diag(1, [1, 2])]);
      const c = new BoxChartController(document.createElement('canvas'), readChartTheme(), ['a', 'b'], 'layer-all', {
        factory,
        scheduler: frames,
        minIntervalMs: 500,
        now: () => now,
      });
      c.bind(history);
      frames.frame();
      const chart = charts[0]!;
      expect(chart.data.labels).toEqual(['a', 'b']);
      expect(chart.data.datasets[1]!.data).toEqual([
        [1, 1],
        [2, 2],
      ]);
      history.append([{ step: 2, time: 2, trainBpd: 3 }]); // no variances: nothing to do
      vi.advanceTimersByTime(1000);
      expect(frames.pending).toBe(0);

      now = 100;
      history.append([diag(3, [3, 4])]);
      history.append([diag(4, [5, 6])]);
      vi.advanceTimersByTime(399);
      expect(c.groups[0]!.stats!.count).toBe(1); // throttled
      now = 500;
      vi.advanceTimersByTime(1);
      expect(c.groups[0]!.stats).toMatchObject({ count: 3, min: 1, max: 5 });
      frames.frame();
      expect(chart.updates).toContain('none');

      c.setMode('step');
      expect(chart.data.labels).toHaveLength(3);
      c.setLogScale(false);
      expect(chart.options.scales?.['y']?.type).toBe('linear');
      c.destroy();
      expect(chart.destroyed).toBe(true);
    } finally {
      vi.useRealTimers();
    }
  });
});
