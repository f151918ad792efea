/**
 * When a run checkpoints and what goes in: every `checkpointEvery` steps and whenever
 * `checkpointSeconds` passed since the last one (so an hour-long interval between step
 * checkpoints on a big model never risks an hour of work), plus on stop and at the end (the
 * trainer asks). Saving gathers the model's variables and the optimiser's slots by name with
 * the run's position and the numerical guard's state; restoring puts them back.
 */
import { type TrainConfig, checkpointSecondsOf } from '../../../src-shared/config';
import type { StreamPosition } from '../../data/types';
import type { FlowModel } from '../flow/types';
import type { Tensor } from '../tf';
import type { Adamax } from './adamax';
import { assignVariables, loadLatestCheckpoint, saveCheckpoint } from './checkpoint';
import type { RunFolder } from './runFolder';

export interface RunPoint {
  step: number;
  position: StreamPosition;
  /** The guard's factor on the learning rate and the rollbacks so far. */
  lrScale: number;
  rollbacks: number;
}

export interface Restored extends RunPoint {
  dir: string;
}

export class Checkpointing {
  private lastAt = performance.now();

  constructor(
    private readonly folder: RunFolder,
    private readonly model: FlowModel,
    private readonly optimizer: Adamax,
    private readonly backend: string,
    private readonly train: TrainConfig,
  ) {}

  /** Whether a checkpoint is due after `step` (by step count or by time). */
  due(step: number): boolean {
    const every = this.train.checkpointEvery;
    if (every > 0 && step % every === 0) return true;
    const seconds = checkpointSecondsOf(this.train);
    return seconds > 0 && performance.now() - this.lastAt >= seconds * 1000;
  }

  /** Writes a checkpoint (refused with NonFiniteCheckpointError when a value is not finite). */
  async save(point: RunPoint, test?: number): Promise<void> {
    const tensors: Record<string, Tensor> = { ...this.optimizer.state(this.model.variables, this.model.parameterNames) };
    this.model.variables.forEach((v, i) => {
      tensors[this.model.parameterNames[i]!] = v;
    });
    await saveCheckpoint(
      this.folder.checkpointsDir,
      {
        step: point.step,
        optimizerIterations: this.optimizer.iterations,
        position: point.position,
        backend: this.backend,
        lrScale: point.lrScale,
        rollbacks: point.rollbacks,
        ...(test !== undefined ? { test } : {}),
      },
      tensors,
    );
    this.lastAt = performance.now();
  }

  /**
   * Loads the newest checkpoint that verifies into the model and the optimiser; each damaged
   * one passed over is reported through `warn`. Null when the run has no checkpoint.
   */
  async restore(warn: (message: string) => void): Promise<Restored | null> {
    const checkpoint = await loadLatestCheckpoint(this.folder.checkpointsDir);
    if (!checkpoint) return null;
    try {
      for (const why of checkpoint.skipped) warn(`${why}; using the previous checkpoint, ${checkpoint.dir}`);
      assignVariables(this.model.variables, this.model.parameterNames, checkpoint.tensors, checkpoint.dir);
      this.optimizer.load(checkpoint.tensors, checkpoint.optimizerIterations, this.model.variables, this.model.parameterNames);
    } finally {
      for (const t of Object.values(checkpoint.tensors)) t.dispose();
    }
    this.lastAt = performance.now();
    return {
      step: checkpoint.step,
      position: checkpoint.position,
      lrScale: checkpoint.lrScale ?? 1,
      rollbacks: checkpoint.rollbacks ?? 0,
      dir: checkpoint.dir,
    };
  }
}
