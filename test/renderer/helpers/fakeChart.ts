/**
 * A stand-in for Chart.js (happy-dom has no canvas) that records what the chart code asks
 * for: config, datasets, update calls. `decimate` mimics Chart.js' decimation plugin, which
 * swaps `dataset.data` for a decimated copy, so tests catch code that pushes into it.
 */
import type { ChartConfiguration, UpdateMode } from 'chart.js';
import type { ChartFactory, ChartLike, FrameScheduler } from '../../../src-renderer/src/lib/charts/types';

export class FakeChart {
  readonly updates: (UpdateMode | undefined)[] = [];
  destroyed = false;
  data: ChartLike['data'];
  options: ChartLike['options'];

  constructor(
    readonly canvas: unknown,
    readonly config: ChartConfiguration,
    private readonly decimateAbove: number | null,
  ) {
    this.data = config.data as ChartLike['data'];
    this.options = (config.options ?? {}) as ChartLike['options'];
  }

  update(mode?: UpdateMode): void {
    if (this.destroyed) throw new Error('update after destroy');
    this.updates.push(mode);
    if (this.decimateAbove === null) return;
    for (const dataset of this.data.datasets as { data: unknown[]; _data?: unknown[] }[]) {
      const source = dataset._data ?? dataset.data;
      if (source.length <= this.decimateAbove) continue;
      const decimated = source.filter((_, i) => i % 2 === 0);
      // What Chart.js does: keep the original in _data, make `data` return the decimated copy.
      Object.defineProperty(dataset, '_data', { value: source, configurable: true, writable: true, enumerable: false });
      Object.defineProperty(dataset, 'data', { get: () => decimated, set: (d: unknown[]) => (dataset._data = d), configurable: true, enumerable: true });
    }
  }

  destroy(): void {
    this.destroyed = true;
  }

  /** The points a series really holds (the original array when decimated). */
  source(index: number): unknown[] {
    const dataset = this.data.datasets[index] as { data: unknown[]; _data?: unknown[] } | undefined;
    return dataset?._data ?? dataset?.data ?? [];
  }
}

export function fakeChartFactory(options: { decimateAbove?: number } = {}): { factory: ChartFactory; charts: FakeChart[] } {
  const charts: FakeChart[] = [];
  const factory = ((canvas: unknown, config: ChartConfiguration) => {
    const chart = new FakeChart(canvas, config, options.decimateAbove ?? null);
    charts.push(chart);
    return chart;
  }) as unknown as ChartFactory;
  return { factory, charts };
}

/** Animation frames that happen only when the test says so. */
export class ManualFrames implements FrameScheduler {
  private queue = new Map<number, () => void>();
  private next = 1;

  request(callback: () => void): number {
    const id = this.next++;
    this.queue.set(id, callback);
    return id;
  }

  cancel(handle: number): void {
    this.queue.delete(handle);
  }

  get pending(): number {
    return this.queue.size;
  }

  /** Runs the callbacks queued so far (one frame). */
  frame(): void {
    const callbacks = [...this.queue.values()];
    this.queue.clear();
    for (const cb of callbacks) cb();
  }
}
