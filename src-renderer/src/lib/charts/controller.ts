/**
 * Streams points into a Chart.js line chart without letting it fall behind: points are pushed
 * into arrays the controller owns (Chart.js decimation swaps `dataset.data` for its decimated
 * copy, so the originals must live elsewhere), and the chart is redrawn with
 * `update('none')` at most once per animation frame, however many records arrived.
 */
import type { ChartDataset, ChartOptions } from 'chart.js';
import type { MetricsRecord } from '../../../../src-shared/protocol';
import type { RunHistory } from '../history';
import { type ReferenceLine, referenceLinePlugin } from './referenceLines';
import type { ChartFactory, ChartLike, FrameScheduler, Point } from './types';

export interface SeriesSpec {
  label: string;
  color: string;
  width?: number;
  dash?: number[];
  /** Show markers: for sparse series such as test NLL, evaluated every few hundred steps. */
  markers?: boolean;
  yAxisID?: string;
  /**
   * Colour the series by the sign of its newest value (log-det: expansive vs contractive).
   * Per series, not per segment: Chart.js' segment styling costs a scriptable call per drawn
   * point and took most of the frame time with a hundred layers.
   */
  signColors?: { positive: string; negative: string };
  hidden?: boolean;
}

export interface LiveChartDeps {
  factory: ChartFactory;
  scheduler: FrameScheduler;
  /**
   * Least time between redraws. The engine shares the machine: on a CPU backend every
   * millisecond the UI spends is taken from training, and ten redraws a second look live.
   */
  minIntervalMs?: number;
  now?: () => number;
}

export const DEFAULT_REDRAW_INTERVAL_MS = 100;

const BASE_WIDTH = 1.5;

export class LiveChartController {
  private readonly chart: ChartLike<'line', Point[]>;
  private series: Point[][] = [];
  private specs: SeriesSpec[] = [];
  private frame: number | null = null;
  private timer: ReturnType<typeof setTimeout> | null = null;
  private lastFlush = -Infinity;
  private total = 0;
  private references: readonly ReferenceLine[] = [];
  private highlighted: number | null = null;
  private readonly flushListeners = new Set<() => void>();

  constructor(
    canvas: HTMLCanvasElement,
    options: ChartOptions<'line'>,
    private readonly deps: LiveChartDeps,
  ) {
    this.chart = deps.factory(canvas, {
      type: 'line',
      data: { datasets: [] },
      options: withStreamingDefaults(options),
      plugins: [referenceLinePlugin(() => this.references)],
    });
  }

  /** Number of points held (all series), after dropping non-finite values. */
  get pointCount(): number {
    return this.total;
  }

  get seriesCount(): number {
    return this.specs.length;
  }

  /** The points of one series (for tests and legends; do not mutate). */
  points(index: number): readonly Point[] {
    return this.series[index] ?? [];
  }

  /** Replaces the series (clearing their points). */
  setSeries(specs: readonly SeriesSpec[]): void {
    this.specs = [...specs];
    this.series = specs.map(() => []);
    this.total = 0;
    this.highlighted = null;
    this.chart.data.datasets = specs.map((spec, i) => toDataset(spec, this.series[i]!));
    this.schedule();
  }

  /** Appends one point; x must increase within a series (Chart.js `normalized`). */
  push(index: number, x: number, y: number): void {
    const data = this.series[index];
    if (!data || !Number.isFinite(y) || !Number.isFinite(x)) return;
    const last = data[data.length - 1];
    if (last && x <= last.x) return;
    data.push({ x, y });
    this.total++;
    this.schedule();
  }

  /** Empties every series in place (the arrays stay the ones Chart.js knows). */
  clearPoints(): void {
    for (const data of this.series) data.length = 0;
    this.total = 0;
    this.schedule();
  }

  setHidden(index: number, hidden: boolean): void {
    const dataset = this.chart.data.datasets[index];
    if (!dataset || Boolean(dataset.hidden) === hidden) return;
    dataset.hidden = hidden;
    this.schedule();
  }

  /** Draws one series thicker and on top (legend hover); null restores all. */
  setHighlight(index: number | null): void {
    if (this.highlighted === index) return;
    this.highlighted = index;
    this.chart.data.datasets.forEach((dataset, i) => {
      const width = this.specs[i]?.width ?? BASE_WIDTH;
      dataset.borderWidth = index === null ? width : i === index ? width + 2 : Math.max(0.5, width - 0.75);
      dataset.order = i === index ? -1 : 0;
    });
    this.schedule();
  }

  /** Horizontal reference lines; the y range is widened so they stay in view. */
  setReferenceLines(lines: readonly ReferenceLine[]): void {
    this.references = lines;
    const y = this.chart.options.scales?.['y'];
    if (y) {
      const values = lines.map((line) => line.y).filter(Number.isFinite);
      y.suggestedMin = values.length > 0 ? Math.min(...values) : undefined;
      y.suggestedMax = values.length > 0 ? Math.max(...values) : undefined;
    }
    this.schedule();
  }

  /** Called after each redraw (legends read the latest values then, not per record). */
  onFlush(listener: () => void): () => void {
    this.flushListeners.add(listener);
    return () => this.flushListeners.delete(listener);
  }

  /** Redraw now (tests, and before a screenshot); normally the frame scheduler does it. */
  flush(): void {
    this.cancelScheduled();
    this.lastFlush = this.now();
    this.colourBySign();
    this.chart.update(this.markSparse() ? undefined : 'none');
    for (const listener of this.flushListeners) listener();
  }

  destroy(): void {
    this.cancelScheduled();
    this.flushListeners.clear();
    this.chart.destroy();
  }

  private now(): number {
    return this.deps.now?.() ?? Date.now();
  }

  private cancelScheduled(): void {
    if (this.frame !== null) this.deps.scheduler.cancel(this.frame);
    if (this.timer !== null) clearTimeout(this.timer);
    this.frame = null;
    this.timer = null;
  }

  /**
   * A series of one or two points draws no line: show its points until it has more. Returns
   * whether a radius changed: Chart.js keeps point options shared across `update('none')`,
   * so that (rare) redraw must be a full one.
   */
  private markSparse(): boolean {
    let changed = false;
    this.specs.forEach((spec, i) => {
      const dataset = this.chart.data.datasets[i];
      const radius = spec.markers || (this.series[i]?.length ?? 0) < 3 ? 2.5 : 0;
      if (dataset && dataset.pointRadius !== radius) {
        dataset.pointRadius = radius;
        changed = true;
      }
    });
    return changed;
  }

  private colourBySign(): void {
    this.specs.forEach((spec, i) => {
      const signs = spec.signColors;
      const dataset = this.chart.data.datasets[i];
      const last = this.series[i]?.[this.series[i]!.length - 1];
      if (!signs || !dataset) return;
      const color = last === undefined ? spec.color : last.y >= 0 ? signs.positive : signs.negative;
      dataset.borderColor = color;
      dataset.backgroundColor = color;
    });
  }

  /** One redraw in the next animation frame, no sooner than minIntervalMs after the last. */
  private schedule(): void {
    if (this.frame !== null || this.timer !== null) return;
    const requestFrame = (): void => {
      this.timer = null;
      this.frame = this.deps.scheduler.request(() => {
        this.frame = null;
        this.flush();
      });
    };
    const wait = this.lastFlush + (this.deps.minIntervalMs ?? DEFAULT_REDRAW_INTERVAL_MS) - this.now();
    if (wait <= 0) requestFrame();
    else this.timer = setTimeout(requestFrame, wait);
  }
}

/** The options every line chart of the studio shares: no animation, pre-parsed points, lttb decimation. */
export function withStreamingDefaults(options: ChartOptions<'line'>): ChartOptions<'line'> {
  return {
    ...options,
    animation: false,
    parsing: false,
    normalized: true,
    spanGaps: true,
    responsive: true,
    maintainAspectRatio: false,
    indexAxis: 'x',
    plugins: {
      ...options.plugins,
      // lttb keeps the shape of 10^5-point curves with a few hundred drawn points.
      decimation: { enabled: true, algorithm: 'lttb', samples: 600, threshold: 1200 },
    },
  };
}

function toDataset(spec: SeriesSpec, data: Point[]): ChartDataset<'line', Point[]> {
  const dataset: ChartDataset<'line', Point[]> = {
    label: spec.label,
    data,
    borderColor: spec.color,
    backgroundColor: spec.color,
    borderWidth: spec.width ?? BASE_WIDTH,
    pointRadius: spec.markers ? 2.5 : 0,
    pointHoverRadius: spec.markers ? 4 : 3,
    hidden: spec.hidden ?? false,
  };
  if (spec.dash) dataset.borderDash = spec.dash;
  if (spec.yAxisID) dataset.yAxisID = spec.yAxisID;
  return dataset;
}

/** How a chart reads its series out of a metrics record. */
export interface SeriesExtractor {
  (record: MetricsRecord, emit: (index: number, y: number) => void): void;
}

/**
 * Keeps a controller in step with a history: fills it from the records already there (a
 * reload restored them), pushes appended records, rebuilds on reset. Returns the unsubscribe.
 */
export function bindHistory(controller: LiveChartController, history: RunHistory, extract: SeriesExtractor): () => void {
  const feed = (records: readonly MetricsRecord[]): void => {
    for (const record of records) extract(record, (index, y) => controller.push(index, record.step, y));
  };
  feed(history.records);
  return history.subscribe((event) => {
    if (event.type === 'reset') {
      controller.clearPoints();
      feed(history.records);
    } else {
      feed(event.records);
    }
  });
}
