/** The CLI's view of engine events: log lines on stderr and a progress bar per task. */
import { createProgressBar } from './progressBar';
import type { CliEngine } from './engine';
import { info } from './output';

export interface EventViewOptions {
  /** Show progress bars (off with --json: stderr stays readable in logs). */
  progress: boolean;
  /** Only progress tasks whose id passes (e.g. not the trainer's own, which has its own bar). */
  taskFilter?: (taskId: string) => boolean;
  /** Log levels printed (default info, warn and error). */
  levels?: readonly string[];
}

/** Prints log events (not debug) and shows progress events; returns the function that stops it. */
export function showEvents(engine: CliEngine, options: EventViewOptions): () => void {
  const bar = options.progress ? createProgressBar() : null;
  const offs = [
    engine.on('log', ({ level, message }) => {
      if ((options.levels ?? ['info', 'warn', 'error']).includes(level)) info(`${level}: ${message}`);
    }),
    engine.on('progress', (update) => {
      if (bar && (options.taskFilter?.(update.taskId) ?? true)) {
        bar.onProgress(update);
        if (update.total !== null && update.done >= update.total) bar.stop();
      }
    }),
  ];
  return () => {
    for (const off of offs) off();
    bar?.stop();
  };
}
