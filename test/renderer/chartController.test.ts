// @vitest-environment happy-dom
import { describe, expect, it, vi } from 'vitest';
import type { ChartDataset, ChartOptions } from 'chart.js';
import type { LayerDescriptor, MetricsRecord } from '../../src-shared/protocol';
import { LiveChartController, bindHistory } from '../../src-renderer/src/lib/charts/controller';
import { logdetChart, nllChart, optimChart } from '../../src-renderer/src/lib/charts/definitions';
import { readChartTheme } from '../../src-renderer/src/lib/charts/theme';
import type { Point } from '../../src-renderer/src/lib/charts/types';
import { RunHistory } from '../../src-renderer/src/lib/history';
import { ManualFrames, fakeChartFactory } from './helpers/fakeChart';

const theme = readChartTheme();
const canvas = document.createElement('canvas');

function setup(decimateAbove?: number) {
  const { factory, charts } = fakeChartFactory(decimateAbove === undefined ? {} : { decimateAbove });
  const frames = new ManualFrames();
  // No minimum interval: these tests are about frames; the interval has its own test.
  const controller = new LiveChartController(canvas, {}, { factory, scheduler: frames, minIntervalMs: 0 });
  return { controller, chart: charts[0]!, frames };
}

const layers: LayerDescriptor[] = [
  { name: 'L1.B1.conv', level: 0, block: 0, kind: 'conv' },
  { name: 'L1.B1.aff', level: 0, block: 0, kind: 'aff' },
  { name: 'L1.B1.act', level: 0, block: 0, kind: 'act' },
];

describe('LiveChartController', () => {
  it('configures Chart.js for streaming: no parsing or animation, normalized data, lttb decimation', () => {
    const { chart } = setup();
    const options = chart.config.options as ChartOptions<'line'>;
    expect(options.parsing).toBe(false);
    expect(options.normalized).toBe(true);
    expect(options.animation).toBe(false);
    expect(options.plugins?.decimation).toMatchObject({ enabled: true, algorithm: 'lttb' });
    expect(chart.config.type).toBe('line');
  });

  it('redraws at most once per animation frame, with update("none"), however many points arrive', () => {
    const { controller, chart, frames } = setup();
    controller.setSeries([{ label: 'a', color: 'red' }]);
    for (let i = 1; i <= 3; i++) controller.push(0, i, 0); // past the few-points stage
    frames.frame();
    const before = chart.updates.length;
    for (let i = 4; i <= 10_000; i++) controller.push(0, i, Math.sin(i));
    expect(chart.updates.length).toBe(before);
    expect(frames.pending).toBe(1);
    frames.frame();
    expect(chart.updates.slice(before)).toEqual(['none']);
    expect(controller.pointCount).toBe(10_000);
    frames.frame();
    expect(chart.updates.length).toBe(before + 1); // nothing new, no redraw
  });

  it('waits at least minIntervalMs between redraws, then redraws in a frame', () => {
    vi.useFakeTimers();
    try {
      const { factory, charts } = fakeChartFactory();
      const frames = new ManualFrames();
      let now = 1000;
      const c = new LiveChartController(canvas, {}, { factory, scheduler: frames, minIntervalMs: 100, now: () => now });
      c.setSeries([{ label: 'a', color: 'red' }]);
      frames.frame();
      expect(charts[0]!.updates).toHaveLength(1);
      now = 1040;
      c.push(0, 1, 1);
      expect(frames.pending).toBe(0); // too soon: a timer waits out the interval
      now = 1100;
      vi.advanceTimersByTime(60);
      expect(frames.pending).toBe(1);
      c.push(0, 2, 2);
      frames.frame();
      expect(charts[0]!.updates).toHaveLength(2);
      expect(c.points(0)).toHaveLength(2);
    } finally {
      vi.useRealTimers();
    }
  });

  it('shows the points of a series too short to draw a line', () => {
    const { controller, chart, frames } = setup();
    controller.setSeries([{ label: 'a', color: 'red' }]);
    controller.push(0, 10, 1);
    frames.frame();
    const radius = (): unknown => (chart.data.datasets[0] as ChartDataset<'line'>).pointRadius;
    expect(radius()).toBeGreaterThan(0);
    controller.push(0, 20, 1);
    controller.push(0, 30, 1);
    frames.frame();
    expect(radius()).toBe(0);
  });

  it('colours a sign-coloured series by the sign of its newest value', () => {
    const { controller, chart, frames } = setup();
    controller.setSeries([{ label: 'a', color: 'grey', signColors: { positive: 'red', negative: 'blue' } }]);
    controller.push(0, 1, 0.5);
    frames.frame();
    expect(chart.data.datasets[0]!.borderColor).toBe('red');
    controller.push(0, 2, -0.1);
    frames.frame();
    expect(chart.data.datasets[0]!.borderColor).toBe('blue');
  });

  it('keeps its own point arrays, so pushes survive Chart.js swapping dataset.data for a decimated copy', () => {
    const { controller, chart, frames } = setup(100);
    controller.setSeries([{ label: 'a', color: 'red' }]);
    for (let i = 1; i <= 500; i++) controller.push(0, i, i);
    frames.frame(); // the fake decimates now, like Chart.js does above its threshold
    expect(chart.data.datasets[0]!.data.length).toBe(250);
    for (let i = 501; i <= 600; i++) controller.push(0, i, i);
    frames.frame();
    expect(chart.source(0)).toHaveLength(600);
    expect(controller.points(0).at(-1)).toEqual({ x: 600, y: 600 });
  });

  it('drops non-finite values and points that do not advance x', () => {
    const { controller } = setup();
    controller.setSeries([{ label: 'a', color: 'red' }]);
    controller.push(0, 1, 1);
    controller.push(0, 2, Number.NaN);
    controller.push(0, 3, Number.POSITIVE_INFINITY);
    controller.push(0, 1, 5);
    controller.push(0, 4, 2);
    expect(controller.points(0)).toEqual<Point[]>([
      { x: 1, y: 1 },
      { x: 4, y: 2 },
    ]);
  });

  it('widens the y range to keep reference lines in view, and hides / highlights series', () => {
    const { controller, chart, frames } = setup();
    const options = nllChart.options({ layers: [], toy: false, theme });
    const { factory, charts } = fakeChartFactory();
    const withAxes = new LiveChartController(canvas, options, { factory, scheduler: frames, minIntervalMs: 0 });
    withAxes.setReferenceLines([
      { y: 2.01, label: 'QLF', color: 'green' },
      { y: 4.2, label: 'PPCA', color: 'orange' },
    ]);
    const y = charts[0]!.options.scales?.['y'];
    expect(y?.suggestedMin).toBe(2.01);
    expect(y?.suggestedMax).toBe(4.2);

    controller.setSeries([
      { label: 'a', color: 'red' },
      { label: 'b', color: 'blue' },
    ]);
    controller.setHidden(1, true);
    controller.setHighlight(0);
    expect(chart.data.datasets[1]!.hidden).toBe(true);
    expect(chart.data.datasets[0]!.borderWidth).toBeGreaterThan(chart.data.datasets[1]!.borderWidth as number);
  });

  it('cancels its pending frame and destroys the chart', () => {
    const { controller, chart, frames } = setup();
    controller.setSeries([{ label: 'a', color: 'red' }]);
    controller.destroy();
    expect(chart.destroyed).toBe(true);
    expect(frames.pending).toBe(0);
  });
});

describe('bindHistory', () => {
  const record = (step: number, extra: Partial<MetricsRecord> = {}): MetricsRecord => ({ step, time: step, trainBpd: 5 - step / 1000, ...extra });

  it('fills the chart from the history already there (a reload restored it), then follows appends', () => {
    const history = new RunHistory();
    history.replace(Array.from({ length: 100 }, (_, i) => record(i + 1, i % 10 === 0 ? { testBpd: 4 } : {})));
    const { controller, frames } = setup();
    const ctx = { layers: [], toy: false, theme };
    controller.setSeries(nllChart.series(ctx));
    bindHistory(controller, history, nllChart.extractor(ctx));
    expect(controller.points(0)).toHaveLength(100);
    expect(controller.points(1)).toHaveLength(10);
    history.append([record(101), record(102, { testBpd: 3.9 })]);
    expect(controller.points(0)).toHaveLength(102);
    expect(controller.points(1).at(-1)).toEqual({ x: 102, y: 3.9 });
    frames.frame();
  });

  it('rebuilds on reset and stops following once unbound', () => {
    const history = new RunHistory();
    const { controller } = setup();
    const ctx = { layers: [], toy: false, theme };
    controller.setSeries(nllChart.series(ctx));
    const unbind = bindHistory(controller, history, nllChart.extractor(ctx));
    history.append([record(1), record(2), record(3)]);
    history.replace([record(1)]);
    expect(controller.points(0)).toHaveLength(1);
    unbind();
    history.append([record(2)]);
    expect(controller.points(0)).toHaveLength(1);
  });

  it('streams 10^5 records with one redraw per frame and every point kept', () => {
    const history = new RunHistory();
    const { controller, chart, frames } = setup(4000);
    const ctx = { layers: [], toy: false, theme };
    controller.setSeries(nllChart.series(ctx));
    bindHistory(controller, history, nllChart.extractor(ctx));
    frames.frame();
    let redraws = 0;
    for (let batch = 0; batch < 100; batch++) {
      history.append(Array.from({ length: 1000 }, (_, i) => record(batch * 1000 + i + 1)));
      const before = chart.updates.length;
      frames.frame();
      redraws += chart.updates.length - before;
    }
    expect(redraws).toBe(100);
    expect(controller.points(0)).toHaveLength(100_000);
    expect(chart.source(0)).toHaveLength(100_000);
    expect(chart.data.datasets[0]!.data.length).toBeLessThan(100_000); // what is drawn is decimated
  });
});

describe('chart definitions', () => {
  it('NLL: bits/dim for images, nats for toys, each split in its own series', () => {
    const emitted: [number, number][] = [];
    const r: MetricsRecord = { step: 5, time: 0, trainBpd: 3.5, trainNll: 900, testBpd: 3.6 };
    nllChart.extractor({ layers: [], toy: false, theme })(r, (i, y) => emitted.push([i, y]));
    expect(emitted).toEqual([
      [0, 3.5],
      [1, 3.6],
    ]);
    emitted.length = 0;
    nllChart.extractor({ layers: [], toy: true, theme })({ step: 5, time: 0, trainNll: 1.2, testNll: 1.3 }, (i, y) => emitted.push([i, y]));
    expect(emitted).toEqual([
      [0, 1.2],
      [1, 1.3],
    ]);
    const yTitle = (toy: boolean): unknown => (nllChart.options({ layers: [], toy, theme }).scales?.['y']?.title as { text: string }).text;
    expect(yTitle(false)).toBe('bits / dim');
    expect(yTitle(true)).toBe('NLL (nats)');
  });

  it('log-det: one series per layer, coloured by sign or by layer', () => {
    const ctx = { layers, toy: false, theme };
    const bySign = logdetChart('sign').series(ctx);
    expect(bySign.map((s) => s.label)).toEqual(layers.map((l) => l.name));
    expect(bySign.every((s) => s.signColors?.positive === theme.expansive && s.signColors.negative === theme.contractive)).toBe(true);
    const byLayer = logdetChart('layer').series(ctx);
    expect(byLayer.every((s) => s.signColors === undefined)).toBe(true);
    const emitted: [number, number][] = [];
    logdetChart('sign').extractor(ctx)({ step: 1, time: 0, layerLogdet: [1.5, 0.2, -1.7] }, (i, y) => emitted.push([i, y]));
    expect(emitted).toEqual([
      [0, 1.5],
      [1, 0.2],
      [2, -1.7],
    ]);
  });

  it('optimisation: grad norm and learning rate on two log axes', () => {
    const ctx = { layers: [], toy: false, theme };
    const series = optimChart.series(ctx);
    expect(series.map((s) => s.yAxisID)).toEqual(['y', 'y2']);
    const scales = optimChart.options(ctx).scales!;
    expect(scales['y']?.type).toBe('logarithmic');
    expect(scales['y2']?.type).toBe('logarithmic');
  });
});
