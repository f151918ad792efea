/**
 * The comparison chart: every picked run's NLL against step in one unit, a colour per run,
 * train as a thin line and test as a thicker dashed line with markers (evaluations are sparse).
 */
import type { ChartConfiguration } from 'chart.js';
import type { LossUnit } from '../../../../src-shared/lossUnit';
import type { LayerDescriptor, MetricsRecord } from '../../../../src-shared/protocol';
import { withStreamingDefaults } from './controller';
import { nllOf, nllUnit } from './definitions';
import { logdetSeries, seriesValue } from './logdetGroups';
import type { ChartTheme, Point } from './types';

export interface ComparisonSeries {
  label: string;
  metrics: readonly MetricsRecord[];
  /** The run's layers, in `layerLogdet` order. */
  layers: readonly LayerDescriptor[];
}

/**
 * What the comparison draws: the NLL, or (paper Fig. 2, Glow against the paper's flow) the
 * log-det of the invertible convolutions summed per level, from the diagnostics steps.
 */
export type ComparisonMetric = 'nll' | 'conv-logdet';

/** Per level, the summed log-det of its invertible convolutions (f_conv, Glow's 1×1) at every diagnostics step. */
export function convLogdetPoints(metrics: readonly MetricsRecord[], layers: readonly LayerDescriptor[]): { label: string; points: Point[] }[] {
  return logdetSeries(layers, 'level', 'conv').map((series) => {
    const points: Point[] = [];
    for (const record of metrics) {
      const y = record.layerLogdet ? seriesValue(record.layerLogdet, series) : undefined;
      if (y !== undefined && Number.isFinite(y)) points.push({ x: record.step, y });
    }
    return { label: series.label, points: points.sort((a, b) => a.x - b.x) };
  });
}

/** Dash patterns told apart by level (solid for level 1). */
const LEVEL_DASH: number[][] = [[], [6, 3], [2, 2], [10, 3, 2, 3]];

/** A colour per run, far apart in hue for the first few and still distinct beyond. */
export function runColor(index: number): string {
  const hue = Math.round((index * 137.508 + 210) % 360);
  return `hsl(${hue} 75% 58%)`;
}

/** The points of one split, in step order, finite values only. */
export function splitPoints(metrics: readonly MetricsRecord[], split: 'train' | 'test', unit: LossUnit): Point[] {
  const out: Point[] = [];
  for (const record of metrics) {
    const y = nllOf(record, split, unit === 'nats');
    if (y !== undefined && Number.isFinite(y)) out.push({ x: record.step, y });
  }
  return out.sort((a, b) => a.x - b.x);
}

export function comparisonChartConfig(runs: readonly ComparisonSeries[], unit: LossUnit, theme: ChartTheme, metric: ComparisonMetric = 'nll'): ChartConfiguration<'line', Point[]> {
  const datasets = runs.flatMap((run, i) => {
    const color = runColor(i);
    if (metric === 'conv-logdet') {
      return convLogdetPoints(run.metrics, run.layers).map((level, l) => ({
        label: `${run.label} ${level.label}`,
        data: level.points,
        borderColor: color,
        backgroundColor: color,
        borderWidth: 1.5,
        borderDash: LEVEL_DASH[l % LEVEL_DASH.length]!,
        pointRadius: 0,
      }));
    }
    return [
      { label: `${run.label} train`, data: splitPoints(run.metrics, 'train', unit), borderColor: color, backgroundColor: color, borderWidth: 1.25, pointRadius: 0 },
      {
        label: `${run.label} test`,
        data: splitPoints(run.metrics, 'test', unit),
        borderColor: color,
        backgroundColor: color,
        borderWidth: 2,
        borderDash: [6, 3],
        pointRadius: 3,
      },
    ];
  });
  const axis = (text: string): Record<string, unknown> => ({
    type: 'linear',
    title: { display: true, text, color: theme.text },
    ticks: { color: theme.text, maxTicksLimit: 8 },
    grid: { color: theme.grid },
    border: { color: theme.grid },
  });
  return {
    type: 'line',
    data: { datasets },
    options: withStreamingDefaults({
      interaction: { mode: 'nearest', axis: 'x', intersect: false },
      plugins: { legend: { display: false }, tooltip: { enabled: true } },
      scales: { x: axis('step'), y: axis(metric === 'nll' ? nllUnit(unit === 'nats') : 'log|det| of the invertible convolutions per level (nats)') },
    }),
  } as ChartConfiguration<'line', Point[]>;
}
