/**
 * Thins a metric history for the UI: every evaluation record (sparse and precious) is kept,
 * the per-step records are subsampled evenly to fit `maxPoints`, and the last record is kept.
 */
import type { MetricsRecord } from '../../../src-shared/protocol';

export function decimateMetrics(records: MetricsRecord[], maxPoints: number): MetricsRecord[] {
  if (records.length <= maxPoints) return records;
  const isEval = (r: MetricsRecord): boolean => r.testBpd !== undefined || r.testNll !== undefined;
  const evalCount = records.filter(isEval).length;
  const budget = Math.max(1, maxPoints - evalCount - 1);
  const stride = Math.ceil((records.length - evalCount) / budget);
  let seen = 0;
  return records.filter((r, i) => {
    if (isEval(r) || i === records.length - 1) return true;
    return seen++ % stride === 0;
  });
}
