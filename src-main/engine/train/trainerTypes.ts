/** What a Trainer (trainer.ts) is built from, reports through, and returns. */
import type { RunConfig } from '../../../src-shared/config';
import type { MetricsRecord, RunState, RunSummary } from '../../../src-shared/protocol';
import type { Dataset, ProgressUpdate } from '../../data/types';
import type { FlowModel } from '../flow/types';
import type { GradientSource } from './gradients';
import type { RunFolder } from './runFolder';

export interface TrainerCallbacks {
  onMetrics?(record: MetricsRecord): void;
  onState?(summary: RunSummary, message?: string): void;
  onLog?(level: 'debug' | 'info' | 'warn' | 'error', message: string): void;
  onProgress?(update: ProgressUpdate): void;
}

export interface TrainerInit {
  runId: string;
  config: RunConfig;
  folder: RunFolder;
  dataset: Dataset;
  model: FlowModel;
  backend: string;
  callbacks?: TrainerCallbacks;
  /** Who computes each step's gradients (default: this process; runs/dataParallelRun.ts: workers). */
  gradients?: GradientSource;
}

export interface TrainSummary {
  steps: number;
  /** Training images (or points) per second, steps only (evaluation excluded). */
  imagesPerSecond: number;
  initialTest: number | null;
  finalTest: number | null;
  finalTrain: number | null;
  state: RunState;
}
