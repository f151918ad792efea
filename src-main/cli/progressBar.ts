/**
 * A terminal progress bar for the CLI, fed by OpenOptions.onProgress: one bar per task
 * (the folder scan, the cache build), showing count, rate and ETA from the updates. When
 * stderr is not a terminal it prints a line every few seconds instead (logs, CI).
 */
import cliProgress from 'cli-progress';
import type { ProgressUpdate } from '../data/types';

export interface ProgressBar {
  /** Pass as OpenOptions.onProgress. */
  onProgress: (update: ProgressUpdate) => void;
  /** Ends the current bar (call when the dataset is open, or on error). */
  stop: () => void;
}

export interface ProgressBarOptions {
  stream?: NodeJS.WritableStream & { isTTY?: boolean };
  /** Seconds between plain lines when the stream is not a terminal. */
  lineIntervalSeconds?: number;
}

function formatRate(rate: number | null): string {
  if (rate === null) return '-';
  return rate >= 100 ? rate.toFixed(0) : rate.toFixed(1);
}

function formatEta(seconds: number | null): string {
  if (seconds === null || !Number.isFinite(seconds)) return '-';
  const s = Math.round(seconds);
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
}

export function createProgressBar(options: ProgressBarOptions = {}): ProgressBar {
  const stream = options.stream ?? process.stderr;
  const interactive = Boolean(stream.isTTY);
  const lineInterval = (options.lineIntervalSeconds ?? 5) * 1000;
  let bar: cliProgress.SingleBar | null = null;
  let task: string | null = null;
  let lastLine = 0;

  const stop = (): void => {
    bar?.stop();
    bar = null;
    task = null;
  };

  const onProgress = (update: ProgressUpdate): void => {
    const payload = { task: update.task, speed: formatRate(update.ratePerSecond), remaining: formatEta(update.etaSeconds), message: update.message ?? '' };
    if (!interactive) {
      const now = Date.now();
      const finished = update.total !== null && update.done >= update.total;
      if (task !== update.task || finished || now - lastLine >= lineInterval) {
        task = update.task;
        lastLine = now;
        const of = update.total !== null ? `/${update.total}` : '';
        const line = `${update.task}: ${update.done}${of} (${payload.speed}/s, ETA ${payload.remaining}) ${payload.message}`;
        stream.write(`${line.trimEnd()}\n`);
      }
      return;
    }
    if (task !== update.task) {
      stop();
      task = update.task;
      const format =
        update.total !== null
          ? '{task} [{bar}] {percentage}% {value}/{total} | {speed}/s | ETA {remaining} | {message}'
          : '{task} {value} | {speed}/s | {message}';
      bar = new cliProgress.SingleBar({ format, stream, hideCursor: true, clearOnComplete: false }, cliProgress.Presets.shades_classic);
      bar.start(update.total ?? 0, update.done, payload);
    }
    if (update.total !== null) bar!.setTotal(update.total);
    bar!.update(update.done, payload);
  };

  return { onProgress, stop };
}
