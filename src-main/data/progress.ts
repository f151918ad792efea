/** Turns "done so far" counts into throttled progress updates with a rate and an ETA. */
import type { ProgressUpdate } from './types';

export class ProgressTracker {
  private readonly started = performance.now();
  private lastSent = Number.NEGATIVE_INFINITY;
  private done = 0;

  /**
   * @param initial work already done before this tracker started (a resumed cache build); it
   *   counts towards `done` but not towards the rate.
   */
  constructor(
    private readonly task: string,
    private readonly total: number | null,
    private readonly onProgress: ((update: ProgressUpdate) => void) | undefined,
    private readonly initial = 0,
    private readonly intervalMs = 250,
  ) {
    this.done = initial;
  }

  /** Reports `done` units, at most once per interval unless `force`. */
  update(done: number, message?: string, force = false): void {
    this.done = done;
    if (!this.onProgress) return;
    const now = performance.now();
    if (!force && now - this.lastSent < this.intervalMs) return;
    this.lastSent = now;
    const seconds = (now - this.started) / 1000;
    const fresh = done - this.initial;
    const rate = seconds > 0 && fresh > 0 ? fresh / seconds : null;
    const eta = rate && this.total !== null ? Math.max(0, (this.total - done) / rate) : null;
    const update: ProgressUpdate = { task: this.task, done, total: this.total, ratePerSecond: rate, etaSeconds: eta };
    if (message !== undefined) update.message = message;
    this.onProgress(update);
  }

  /** The final update, always sent. */
  finish(message?: string): void {
    this.update(this.total ?? this.done, message, true);
  }

  get current(): number {
    return this.done;
  }
}
