/**
 * Box-plot statistics of the per-layer variances (paper Fig. 4 b): Chart.js has no box plot,
 * so these numbers become floating bars (whiskers, box) and a median marker.
 */
import type { MetricsRecord } from '../../../../src-shared/protocol';

export interface BoxStats {
  min: number;
  q1: number;
  median: number;
  q3: number;
  max: number;
  count: number;
}

/** Linear-interpolated quantile of sorted values. */
function quantile(sorted: readonly number[], q: number): number {
  const pos = (sorted.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return sorted[lo]! + (sorted[hi]! - sorted[lo]!) * (pos - lo);
}

export function boxStats(values: readonly number[]): BoxStats | null {
  const sorted = values.filter(Number.isFinite).sort((a, b) => a - b);
  if (sorted.length === 0) return null;
  return {
    min: sorted[0]!,
    q1: quantile(sorted, 0.25),
    median: quantile(sorted, 0.5),
    q3: quantile(sorted, 0.75),
    max: sorted[sorted.length - 1]!,
    count: sorted.length,
  };
}

/**
 * `layer-recent`: one box per layer over the last `recent` diagnostic records (the state now);
 * `layer-all`: one box per layer over the whole run;
 * `step`: one box per stretch of training over every layer (how the spread evolves, Fig. 4 b).
 */
export type VarianceMode = 'layer-recent' | 'layer-all' | 'step';

export interface BoxGroup {
  label: string;
  stats: BoxStats | null;
}

export function varianceBoxes(records: readonly MetricsRecord[], layerNames: readonly string[], mode: VarianceMode, recent = 50, bins = 12): BoxGroup[] {
  const diagnostics = records.filter((r) => r.layerVariance !== undefined);
  if (mode === 'step') return byStep(diagnostics, bins);
  const window = mode === 'layer-recent' ? diagnostics.slice(-recent) : diagnostics;
  return layerNames.map((label, i) => {
    const values: number[] = [];
    for (const record of window) {
      const v = record.layerVariance![i];
      if (v !== undefined) values.push(v);
    }
    return { label, stats: boxStats(values) };
  });
}

function byStep(diagnostics: readonly MetricsRecord[], bins: number): BoxGroup[] {
  if (diagnostics.length === 0) return [];
  const first = diagnostics[0]!.step;
  const last = diagnostics[diagnostics.length - 1]!.step;
  const count = Math.min(bins, diagnostics.length);
  const width = Math.max(1, (last - first + 1) / count);
  const groups: number[][] = Array.from({ length: count }, () => []);
  for (const record of diagnostics) {
    const bin = Math.min(count - 1, Math.floor((record.step - first) / width));
    groups[bin]!.push(...record.layerVariance!);
  }
  return groups.map((values, i) => ({
    label: `${Math.round(first + i * width)}–${Math.round(first + (i + 1) * width - 1)}`,
    stats: boxStats(values),
  }));
}

/** The three datasets that draw a box plot with floating bars and a median marker. */
export interface BoxChartData {
  labels: string[];
  whiskers: ([number, number] | null)[];
  boxes: ([number, number] | null)[];
  medians: (number | null)[];
}

export function boxChartData(groups: readonly BoxGroup[]): BoxChartData {
  return {
    labels: groups.map((g) => g.label),
    whiskers: groups.map((g) => (g.stats ? [g.stats.min, g.stats.max] : null)),
    boxes: groups.map((g) => (g.stats ? [g.stats.q1, g.stats.q3] : null)),
    medians: groups.map((g) => g.stats?.median ?? null),
  };
}
