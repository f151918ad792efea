/**
 * The live line charts of the Train view (paper Fig. 2 and 4): which series each has, how a
 * metrics record feeds them, and their axes. Pure data, so tests check them without a canvas.
 */
import type { ChartOptions, ScaleOptionsByType } from 'chart.js';
import type { LayerDescriptor, MetricsRecord } from '../../../../src-shared/protocol';
import type { SeriesExtractor, SeriesSpec } from './controller';
import { type LogdetSeries, seriesValue } from './logdetGroups';
import { layerColor } from './theme';
import type { ChartTheme } from './types';

export interface ChartContext {
  layers: readonly LayerDescriptor[];
  /** 2-D toys report NLL in nats, images in bits per dimension. */
  toy: boolean;
  theme: ChartTheme;
}

export type LogdetColouring = 'sign' | 'layer';

export interface LineChartDefinition {
  series(ctx: ChartContext): SeriesSpec[];
  extractor(ctx: ChartContext): SeriesExtractor;
  options(ctx: ChartContext): ChartOptions<'line'>;
}

type LinearOrLog = Partial<ScaleOptionsByType<'linear'>> | Partial<ScaleOptionsByType<'logarithmic'>>;

/** `extra` is loose on purpose: Chart.js' per-scale tick types do not merge well as literals. */
function axis(theme: ChartTheme, title: string, extra: Record<string, unknown> = {}): LinearOrLog {
  return {
    type: 'linear',
    title: { display: true, text: title, color: theme.text },
    ticks: { color: theme.text, maxTicksLimit: 7 },
    grid: { color: theme.grid },
    border: { color: theme.grid },
    ...extra,
  } as LinearOrLog;
}

/** Shared options: a linear step axis, tooltips listing the nearest points. */
export function lineOptions(theme: ChartTheme, yAxes: Record<string, LinearOrLog>): ChartOptions<'line'> {
  return {
    interaction: { mode: 'nearest', axis: 'x', intersect: false },
    scales: { x: axis(theme, 'step', { ticks: { color: theme.text, maxTicksLimit: 8, precision: 0 } }), ...yAxes },
    plugins: {
      legend: { display: false },
      tooltip: { enabled: true, filter: (item) => Number.isFinite(item.parsed.y) },
    },
  } as ChartOptions<'line'>;
}

export function nllUnit(toy: boolean): string {
  return toy ? 'NLL (nats)' : 'bits / dim';
}

/** The value a record carries for one split, in the unit of this kind of data. */
export function nllOf(record: MetricsRecord, split: 'train' | 'test', toy: boolean): number | undefined {
  const bpd = split === 'train' ? record.trainBpd : record.testBpd;
  const nll = split === 'train' ? record.trainNll : record.testNll;
  return toy ? (nll ?? bpd) : (bpd ?? nll);
}

export const nllChart: LineChartDefinition = {
  series: ({ theme }) => [
    { label: 'train', color: theme.train },
    { label: 'test', color: theme.test, markers: true, width: 2 },
  ],
  extractor: ({ toy }) => (record, emit) => {
    const train = nllOf(record, 'train', toy);
    const test = nllOf(record, 'test', toy);
    if (train !== undefined) emit(0, train);
    if (test !== undefined) emit(1, test);
  },
  options: ({ theme, toy }) => lineOptions(theme, { y: axis(theme, nllUnit(toy)) }),
};

/**
 * Log-det against step: one series per layer of the run (the default), or per entry of
 * `grouped` (lib/charts/logdetGroups.ts: a layer, a block's or a level's sum).
 */
export function logdetChart(colouring: LogdetColouring, grouped?: readonly LogdetSeries[]): LineChartDefinition {
  const seriesOf = (layers: readonly LayerDescriptor[]): readonly LogdetSeries[] =>
    grouped ?? layers.map((l, i) => ({ label: l.name, level: l.level, block: l.block, indices: [i] }));
  return {
    series: ({ layers, theme }) => {
      const list = seriesOf(layers);
      const levels = Math.max(1, ...list.map((l) => l.level + 1));
      const blocks = Math.max(1, ...list.map((l) => (l.block ?? 0) + 1));
      return list.map((item) => ({
        label: item.label,
        color: colouring === 'sign' ? theme.muted : layerColor(item.level, item.block ?? 0, levels, blocks),
        width: 1.25,
        ...(colouring === 'sign' ? { signColors: { positive: theme.expansive, negative: theme.contractive } } : {}),
      }));
    },
    extractor: ({ layers }) => {
      const list = seriesOf(layers);
      return (record, emit) => {
        const values = record.layerLogdet;
        if (!values) return;
        list.forEach((item, i) => {
          const y = seriesValue(values, item);
          if (y !== undefined) emit(i, y);
        });
      };
    },
    options: ({ theme }) => lineOptions(theme, { y: axis(theme, 'log |det J| (nats)') }),
  };
}

export const optimChart: LineChartDefinition = {
  series: ({ theme }) => [
    { label: 'grad norm', color: theme.accent, yAxisID: 'y' },
    { label: 'learning rate', color: theme.reference[0]!, yAxisID: 'y2', dash: [5, 3] },
  ],
  extractor: () => (record, emit) => {
    if (record.gradNorm !== undefined) emit(0, record.gradNorm);
    if (record.lr !== undefined) emit(1, record.lr);
  },
  options: ({ theme }) =>
    lineOptions(theme, {
      y: axis(theme, 'grad norm', { type: 'logarithmic' }),
      y2: axis(theme, 'learning rate', { type: 'logarithmic', position: 'right', grid: { drawOnChartArea: false } }),
    }),
};
