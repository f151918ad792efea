/**
 * How the log-det chart groups layers (paper Fig. 2: the log-det of the 1×1 convolutions of
 * every level and block over training). Layers carry their level and block; a series is one
 * layer, or the sum over a block's or a level's layers of the chosen kind (log-dets add along
 * the flow, so a block's sum is that block's log|det J|).
 */
import type { LayerDescriptor } from '../../../../src-shared/protocol';

export type LogdetGrouping = 'layer' | 'block' | 'level';
export type LayerKindFilter = 'all' | LayerDescriptor['kind'];

export interface LogdetSeries {
  label: string;
  level: number;
  /** null for a level's sum. */
  block: number | null;
  /** Indices into the metrics record's `layerLogdet` (the run's `layers` order). */
  indices: number[];
}

export function logdetSeries(layers: readonly LayerDescriptor[], grouping: LogdetGrouping, kind: LayerKindFilter): LogdetSeries[] {
  const chosen = layers.map((layer, index) => ({ layer, index })).filter(({ layer }) => kind === 'all' || layer.kind === kind);
  if (grouping === 'layer') return chosen.map(({ layer, index }) => ({ label: layer.name, level: layer.level, block: layer.block, indices: [index] }));
  const out = new Map<string, LogdetSeries>();
  const suffix = kind === 'all' ? '' : ` ${kind}`;
  for (const { layer, index } of chosen) {
    const key = grouping === 'block' ? `${layer.level}.${layer.block}` : `${layer.level}`;
    let series = out.get(key);
    if (!series) {
      const label = grouping === 'block' ? `L${layer.level + 1}.B${layer.block + 1}${suffix}` : `L${layer.level + 1}${suffix}`;
      series = { label, level: layer.level, block: grouping === 'block' ? layer.block : null, indices: [] };
      out.set(key, series);
    }
    series.indices.push(index);
  }
  return [...out.values()];
}

/** The series' value in one record: the sum of its layers' log-dets (undefined if any is missing). */
export function seriesValue(values: readonly number[], series: LogdetSeries): number | undefined {
  let sum = 0;
  for (const i of series.indices) {
    const v = values[i];
    if (v === undefined) return undefined;
    sum += v;
  }
  return sum;
}
