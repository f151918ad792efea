/**
 * The variance box plot. Quantiles over the whole history cost a sort per layer, so unlike the
 * line charts this one recomputes at most every `minIntervalMs` (and only when new layer
 * diagnostics arrived), then redraws in the next animation frame.
 */
import type { ChartOptions } from 'chart.js';
import type { RunHistory } from '../history';
import { type BoxGroup, type VarianceMode, boxChartData, varianceBoxes } from './boxStats';
import type { ChartFactory, ChartLike, ChartTheme, FrameScheduler } from './types';

type BoxDatum = [number, number] | number | null;

export interface BoxChartDeps {
  factory: ChartFactory;
  scheduler: FrameScheduler;
  minIntervalMs?: number;
  now?: () => number;
}

export class BoxChartController {
  private readonly chart: ChartLike<'bar', BoxDatum[]>;
  private history: RunHistory | null = null;
  private unsubscribe: () => void = () => {};
  private frame: number | null = null;
  private timer: ReturnType<typeof setTimeout> | null = null;
  private lastCompute = -Infinity;
  private current: BoxGroup[] = [];

  constructor(
    canvas: HTMLCanvasElement,
    theme: ChartTheme,
    private layerNames: readonly string[],
    private mode: VarianceMode,
    private readonly deps: BoxChartDeps,
  ) {
    this.chart = deps.factory(canvas, {
      type: 'bar',
      data: {
        labels: [],
        datasets: [
          { label: 'min–max', data: [], backgroundColor: theme.muted, barPercentage: 0.12, categoryPercentage: 1, grouped: false, order: 2 },
          { label: 'quartiles', data: [], backgroundColor: theme.accentFill, borderColor: theme.accent, borderWidth: 1, barPercentage: 0.7, categoryPercentage: 1, grouped: false, order: 1 },
          {
            type: 'line',
            label: 'median',
            data: [],
            showLine: false,
            pointStyle: 'line',
            pointRadius: 7,
            pointBorderWidth: 2,
            borderColor: theme.text,
            backgroundColor: theme.text,
            order: 0,
          },
        ],
      },
      options: boxOptions(theme),
    } as never) as ChartLike<'bar', BoxDatum[]>;
  }

  get groups(): readonly BoxGroup[] {
    return this.current;
  }

  bind(history: RunHistory): () => void {
    this.unsubscribe();
    this.history = history;
    this.recompute();
    this.unsubscribe = history.subscribe((event) => {
      if (event.type === 'reset' || event.records.some((r) => r.layerVariance !== undefined)) this.invalidate();
    });
    return () => this.unsubscribe();
  }

  setMode(mode: VarianceMode): void {
    this.mode = mode;
    this.recompute();
  }

  setLayerNames(names: readonly string[]): void {
    this.layerNames = names;
    this.recompute();
  }

  setLogScale(log: boolean): void {
    const y = this.chart.options.scales?.['y'];
    if (y) y.type = log ? 'logarithmic' : 'linear';
    this.redraw();
  }

  destroy(): void {
    this.unsubscribe();
    if (this.frame !== null) this.deps.scheduler.cancel(this.frame);
    if (this.timer !== null) clearTimeout(this.timer);
    this.chart.destroy();
  }

  private invalidate(): void {
    if (this.timer !== null) return;
    const now = this.deps.now?.() ?? Date.now();
    const wait = Math.max(0, this.lastCompute + (this.deps.minIntervalMs ?? 500) - now);
    this.timer = setTimeout(() => {
      this.timer = null;
      this.recompute();
    }, wait);
  }

  private recompute(): void {
    this.lastCompute = this.deps.now?.() ?? Date.now();
    this.current = this.history ? varianceBoxes(this.history.records, this.layerNames, this.mode) : [];
    const data = boxChartData(this.current);
    this.chart.data.labels = data.labels;
    const [whiskers, boxes, medians] = this.chart.data.datasets;
    whiskers!.data = data.whiskers;
    boxes!.data = data.boxes;
    medians!.data = data.medians;
    const x = this.chart.options.scales?.['x'];
    if (x?.title) x.title.text = this.mode === 'step' ? 'training steps (all layers)' : 'layer';
    this.redraw();
  }

  private redraw(): void {
    if (this.frame !== null) return;
    this.frame = this.deps.scheduler.request(() => {
      this.frame = null;
      this.chart.update('none');
    });
  }
}

function boxOptions(theme: ChartTheme): ChartOptions<'bar'> {
  return {
    animation: false,
    responsive: true,
    maintainAspectRatio: false,
    scales: {
      x: {
        type: 'category',
        stacked: false,
        title: { display: true, text: 'layer', color: theme.text },
        ticks: { color: theme.text, autoSkip: true, maxRotation: 60, minRotation: 0, font: { size: 10 } },
        grid: { display: false },
      },
      y: {
        type: 'logarithmic',
        title: { display: true, text: 'variance of the layer output', color: theme.text },
        ticks: { color: theme.text, maxTicksLimit: 7 },
        grid: { color: theme.grid },
      },
    },
    plugins: { legend: { display: false }, tooltip: { enabled: true } },
  };
}
