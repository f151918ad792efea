/**
 * Coalesces a run's metrics records into few `metrics` events: a toy run steps far faster than
 * a UI can draw, and one event per step would flood the WebSocket and the charts. The first
 * record after a quiet spell goes out at once; later ones wait until `intervalMs` has passed
 * since the previous event and then go out together. No record is dropped or reordered;
 * `flush()` sends what is waiting (before a state event, so a client sees every record of a
 * run before it learns that the run ended).
 */
import type { MetricsRecord } from '../../../src-shared/protocol';

/** At most this many metrics events per second per run (10). */
export const METRICS_INTERVAL_MS = 100;

export class MetricsBatcher {
  private pending: MetricsRecord[] = [];
  private timer: NodeJS.Timeout | null = null;
  private lastSent = -Infinity;

  constructor(
    private readonly send: (records: MetricsRecord[]) => void,
    private readonly intervalMs = METRICS_INTERVAL_MS,
  ) {}

  push(record: MetricsRecord): void {
    this.pending.push(record);
    if (this.timer) return;
    const wait = this.lastSent + this.intervalMs - performance.now();
    if (wait <= 0) this.flush();
    else this.timer = setTimeout(() => this.flush(), wait);
  }

  flush(): void {
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = null;
    }
    if (this.pending.length === 0) return;
    const records = this.pending;
    this.pending = [];
    this.lastSent = performance.now();
    this.send(records);
  }
}
