/**
 * The metric history of the run on screen. Deliberately not reactive: a run streams up to
 * 10^5 records and Vue's deep proxies would cost more than the charts. Consumers subscribe to
 * appends (charts push the new points) and resets (charts rebuild from `records`).
 */
import type { MetricsRecord } from '../../../src-shared/protocol';

export type HistoryEvent = { type: 'append'; records: readonly MetricsRecord[] } | { type: 'reset' };
export type HistoryListener = (event: HistoryEvent) => void;

/** Keep memory bounded on very long runs: past this many records, thin the older half. */
export const DEFAULT_MAX_RECORDS = 200_000;

/**
 * A record that carries only evaluation results (no training step: no lr, no train loss). The
 * trainer writes one at step 0 and one after the last step, numbered like that step.
 */
export function isEvaluationOnly(record: MetricsRecord): boolean {
  return record.lr === undefined && record.trainBpd === undefined && record.trainNll === undefined;
}

/** One record for a step: the training record's fields, with the evaluation's added. */
function mergeEvaluation(a: MetricsRecord, b: MetricsRecord): MetricsRecord {
  const [train, evaluation] = isEvaluationOnly(b) ? [a, b] : [b, a];
  return { ...train, ...evaluation, time: train.time };
}

export class RunHistory {
  private list: MetricsRecord[] = [];
  private readonly listeners = new Set<HistoryListener>();

  constructor(private readonly maxRecords = DEFAULT_MAX_RECORDS) {}

  get records(): readonly MetricsRecord[] {
    return this.list;
  }

  get length(): number {
    return this.list.length;
  }

  get last(): MetricsRecord | undefined {
    return this.list[this.list.length - 1];
  }

  subscribe(listener: HistoryListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /**
   * Replaces everything (a run was opened). Records are sorted and deduplicated by step; an
   * evaluation-only record (the trainer's final test evaluation shares the last step's
   * number) is merged into the step's record rather than dropped.
   */
  replace(records: readonly MetricsRecord[]): void {
    const sorted = [...records].sort((a, b) => a.step - b.step);
    const list: MetricsRecord[] = [];
    for (const record of sorted) {
      const prev = list[list.length - 1];
      if (prev?.step !== record.step) list.push(record);
      else if (isEvaluationOnly(record) || isEvaluationOnly(prev)) list[list.length - 1] = mergeEvaluation(prev, record);
    }
    this.list = list;
    this.emit({ type: 'reset' });
  }

  clear(): void {
    this.list = [];
    this.emit({ type: 'reset' });
  }

  /**
   * Appends streamed records. Duplicates (a record already restored by openRun) are dropped;
   * a step that goes backwards means the run resumed from an earlier checkpoint, so the
   * records it will redo are discarded and consumers rebuild.
   */
  append(records: readonly MetricsRecord[]): void {
    const fresh: MetricsRecord[] = [];
    let reset = false;
    for (const record of records) {
      const lastStep = this.last?.step;
      if (lastStep === record.step && isEvaluationOnly(record)) {
        // The final evaluation at the last step: add its test value to that step's record.
        this.list[this.list.length - 1] = mergeEvaluation(this.last!, record);
        fresh.push(record);
        continue;
      }
      if (lastStep !== undefined && record.step <= lastStep) {
        const existing = this.indexOfStep(record.step);
        if (existing >= 0 && this.list[existing]!.time === record.time) continue; // same record again
        this.list.length = this.firstIndexAtOrAfter(record.step);
        reset = true;
      }
      this.list.push(record);
      fresh.push(record);
    }
    if (this.list.length > this.maxRecords) {
      this.thin();
      reset = true;
    }
    if (reset) this.emit({ type: 'reset' });
    else if (fresh.length > 0) this.emit({ type: 'append', records: fresh });
  }

  /**
   * Halves the older half of the history. Test evaluations are sparse and precious, so they
   * survive unless they are the bulk of the records.
   */
  private thin(): void {
    const half = Math.floor(this.list.length / 2);
    const hasTest = (r: MetricsRecord): boolean => r.testBpd !== undefined || r.testNll !== undefined;
    let older = this.list.slice(0, half).filter((r, i) => i % 2 === 0 || hasTest(r));
    if (older.length > half * 0.75) older = this.list.slice(0, half).filter((_, i) => i % 2 === 0);
    this.list = older.concat(this.list.slice(half));
  }

  private indexOfStep(step: number): number {
    const i = this.firstIndexAtOrAfter(step);
    return this.list[i]?.step === step ? i : -1;
  }

  private firstIndexAtOrAfter(step: number): number {
    let lo = 0;
    let hi = this.list.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.list[mid]!.step < step) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  private emit(event: HistoryEvent): void {
    for (const listener of this.listeners) listener(event);
  }
}
