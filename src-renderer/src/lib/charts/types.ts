/**
 * What the chart code needs from Chart.js, as an injectable factory: the real one draws on a
 * canvas, tests pass a fake that records datasets and update calls (happy-dom has no canvas).
 */
import type { ChartConfiguration, ChartData, ChartOptions, ChartType, DefaultDataPoint, UpdateMode } from 'chart.js';

export interface Point {
  x: number;
  y: number;
}

export interface ChartLike<T extends ChartType = ChartType, D = DefaultDataPoint<T>> {
  data: ChartData<T, D>;
  options: ChartOptions<T>;
  update(mode?: UpdateMode): void;
  destroy(): void;
}

export type ChartFactory = <T extends ChartType, D>(canvas: HTMLCanvasElement, config: ChartConfiguration<T, D>) => ChartLike<T, D>;

/** requestAnimationFrame, injectable so tests decide when a frame happens. */
export interface FrameScheduler {
  request(callback: () => void): number;
  cancel(handle: number): void;
}

export const animationFrames: FrameScheduler = {
  request: (callback) => requestAnimationFrame(() => callback()),
  cancel: (handle) => cancelAnimationFrame(handle),
};

/** Colours the charts take from the active theme (CSS variables), resolved when a chart is built. */
export interface ChartTheme {
  text: string;
  grid: string;
  muted: string;
  train: string;
  test: string;
  expansive: string;
  contractive: string;
  accent: string;
  accentFill: string;
  reference: string[];
}
