// @vitest-environment happy-dom
import { describe, expect, it } from 'vitest';
import type { MetricsRecord } from '../../src-shared/protocol';
import { type HistoryEvent, RunHistory } from '../../src-renderer/src/lib/history';

const rec = (step: number, extra: Partial<MetricsRecord> = {}): MetricsRecord => ({ step, time: 1000 + step, trainBpd: 8 - step / 100, ...extra });

function recorder(history: RunHistory): HistoryEvent[] {
  const events: HistoryEvent[] = [];
  history.subscribe((e) => events.push(e));
  return events;
}

describe('RunHistory', () => {
  it('replace sorts by step and drops duplicate steps', () => {
    const h = new RunHistory();
    const events = recorder(h);
    h.replace([rec(3), rec(1), rec(2), rec(2)]);
    expect(h.records.map((r) => r.step)).toEqual([1, 2, 3]);
    expect(events).toEqual([{ type: 'reset' }]);
  });

  it('appends new records and skips ones already restored (same step and time)', () => {
    const h = new RunHistory();
    h.replace([rec(1), rec(2)]);
    const events = recorder(h);
    h.append([rec(2), rec(3)]);
    expect(h.records.map((r) => r.step)).toEqual([1, 2, 3]);
    expect(events).toHaveLength(1);
    const event = events[0]!;
    expect(event.type === 'append' ? event.records.map((r) => r.step) : event).toEqual([3]);
  });

  it('a step going backwards (resume from an earlier checkpoint) truncates and resets', () => {
    const h = new RunHistory();
    h.replace([rec(1), rec(2), rec(3), rec(4)]);
    const events = recorder(h);
    h.append([{ step: 3, time: 99_999, trainBpd: 1 }]);
    expect(h.records.map((r) => r.step)).toEqual([1, 2, 3]);
    expect(h.last?.time).toBe(99_999);
    expect(events).toEqual([{ type: 'reset' }]);
  });

  it('replace keeps the final evaluation, which shares the last step with its training record', () => {
    // As the trainer writes metrics.jsonl: step-0 evaluation, steps with a periodic
    // evaluation inside, then an evaluation-only record numbered like the last step.
    const h = new RunHistory();
    h.replace([
      { step: 0, time: 1, testBpd: 9.447 },
      rec(1, { lr: 0.01 }),
      rec(2, { lr: 0.01, testBpd: 7.5 }),
      rec(3, { lr: 0.01 }),
      { step: 3, time: 5000, testBpd: 6.47, invertibilityError: 1e-6 },
    ]);
    expect(h.records.map((r) => r.step)).toEqual([0, 1, 2, 3]);
    expect(h.records.map((r) => r.testBpd)).toEqual([9.447, undefined, 7.5, 6.47]);
    expect(h.last?.trainBpd).toBe(rec(3).trainBpd);
    expect(h.last?.time).toBe(rec(3).time);
  });

  it('a streamed final evaluation joins the last step and is announced as an append', () => {
    const h = new RunHistory();
    h.replace([rec(1, { lr: 0.01 }), rec(2, { lr: 0.01 })]);
    const events = recorder(h);
    const final: MetricsRecord = { step: 2, time: 9999, testBpd: 6.47 };
    h.append([final]);
    expect(h.records.map((r) => r.step)).toEqual([1, 2]);
    expect(h.last).toMatchObject({ trainBpd: rec(2).trainBpd, testBpd: 6.47, lr: 0.01 });
    expect(events).toEqual([{ type: 'append', records: [final] }]);
  });

  it('stays bounded on very long runs and keeps the sparse test evaluations', () => {
    const h = new RunHistory(1000);
    for (let s = 1; s <= 5000; s++) h.append([rec(s, s % 100 === 0 ? { testBpd: 3 } : {})]);
    expect(h.length).toBeLessThanOrEqual(1000);
    expect(h.last?.step).toBe(5000);
    const steps = h.records.map((r) => r.step);
    expect(steps).toEqual([...steps].sort((a, b) => a - b));
    const tests = h.records.filter((r) => r.testBpd !== undefined).length;
    expect(tests).toBe(50);
  });
});
