/**
 * Learning-rate schedule of App. C: lr 0.01 decaying exponentially (rate 0.98 every 1000
 * steps, applied continuously) down to a floor of 0.001, times an optional linear warm-up
 * (config.ts says why).
 */
import type { TrainConfig } from '../../../src-shared/config';

export function learningRateAt(step: number, schedule: TrainConfig['learningRate']): number {
  const decayed = schedule.initial * Math.pow(schedule.decayRate, step / schedule.decaySteps);
  const warmup = schedule.warmupSteps > 0 ? Math.min(1, (step + 1) / schedule.warmupSteps) : 1;
  return Math.max(schedule.final, decayed) * warmup;
}
