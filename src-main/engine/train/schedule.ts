/**
 * Learning-rate schedule of App. C: lr 0.01 decaying exponentially (rate 0.98 every 1000
 * steps, applied continuously) down to a floor of 0.001.
 */
import type { TrainConfig } from '../../../src-shared/config';

export function learningRateAt(step: number, schedule: TrainConfig['learningRate']): number {
  const decayed = schedule.initial * Math.pow(schedule.decayRate, step / schedule.decaySteps);
  return Math.max(schedule.final, decayed);
}
