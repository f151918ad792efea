/**
 * The training loop: one run of one model on one dataset, resumable exactly. It owns the
 * model, the optimiser and the data stream; reports metrics, state and progress through
 * callbacks (the engine turns them into protocol events, the CLI into a progress bar), and
 * writes everything that matters into the run folder as it goes.
 *
 * Control: pause / resume / stop take effect between steps. The loop yields to the event loop
 * after every step, so protocol requests (sampling, diagnostics) are answered while it trains.
 */
import { type RunConfig, guardOf, memoryModeOf } from '../../../src-shared/config';
import { lossUnit } from '../../../src-shared/lossUnit';
import type { LayerDescriptor, MetricsRecord, RunState, RunSummary } from '../../../src-shared/protocol';
import type { Batch, Dataset, StreamPosition } from '../../data/types';
import type { FlowModel } from '../flow/types';
import { Adamax } from './adamax';
import { NonFiniteCheckpointError } from './checkpoint';
import { Checkpointing, type RunPoint } from './checkpointing';
import { initializeFromData } from './dataInit';
import { BlowupWatch } from './blowupWatch';
import { activationSlopeRecord, invertibilityError, testLoss } from './evaluate';
import { batchToInput } from './objective';
import type { RunFolder, RunStatus } from './runFolder';
import { learningRateAt } from './schedule';
import { deriveSeed } from './seeds';
import type { GradientSource } from './gradients';
import { type StepStats, optimisationStep } from './step';

import type { TrainerCallbacks, TrainerInit, TrainSummary } from './trainerTypes';
export type { TrainerCallbacks, TrainerInit, TrainSummary };

export class Trainer {
  readonly runId: string;
  readonly config: RunConfig;
  readonly folder: RunFolder;
  readonly model: FlowModel;
  readonly dataset: Dataset;
  readonly backend: string;
  private readonly optimizer: Adamax;
  private readonly callbacks: TrainerCallbacks;
  private readonly checkpoints: Checkpointing;
  private position: StreamPosition = { epoch: 0, offset: 0 };
  private stateValue: RunState = 'starting';
  private stopRequested = false;
  private resumeGate: (() => void) | null = null;
  private pauseGate: Promise<void> | null = null;
  step = 0;
  /** The numerical guard's factor on the scheduled learning rate, and its rollbacks so far. */
  private lrScale = 1;
  private rollbacks = 0;
  private restored = false;
  private evaluateOnStop = true;
  private trainSeconds = 0;
  private trainExamples = 0;
  private lastTrain: number | null = null;
  private initialTest: number | null = null;
  private readonly blowup: BlowupWatch;
  private readonly gradients?: GradientSource;

  constructor(init: TrainerInit) {
    this.runId = init.runId;
    this.config = init.config;
    this.folder = init.folder;
    this.dataset = init.dataset;
    this.model = init.model;
    this.backend = init.backend;
    this.callbacks = init.callbacks ?? {};
    this.gradients = init.gradients;
    this.optimizer = new Adamax(init.config.train.adamax);
    this.blowup = new BlowupWatch(init.model, init.config);
    this.checkpoints = new Checkpointing(init.folder, init.model, this.optimizer, init.backend, init.config.train);
  }

  get state(): RunState {
    return this.stateValue;
  }

  get layers(): readonly LayerDescriptor[] {
    return this.model.layers;
  }

  summary(): RunSummary {
    return {
      runId: this.runId,
      runDir: this.folder.dir,
      preset: this.config.preset,
      data: this.config.data,
      state: this.stateValue,
      step: this.step,
      totalSteps: this.config.train.steps,
      backend: this.backend,
    };
  }

  /**
   * Restores weights, optimiser state, step, stream position and the guard's state from the
   * newest checkpoint that verifies (damaged ones are named in a warning), and makes
   * metrics.jsonl agree with it. Without a checkpoint the log is emptied: the run starts over.
   */
  async restore(): Promise<boolean> {
    const restored = await this.checkpoints.restore((message) => this.log('warn', message));
    if (!restored) {
      this.folder.truncateMetricsAfter(-1);
      return false;
    }
    this.adopt(restored);
    this.restored = true;
    const earlier = this.folder.readMetrics();
    this.initialTest = earlier.find((r) => r.step === 0 && (r.testBpd ?? r.testNll) !== undefined)?.[this.testKey()] ?? null;
    this.log('info', `resumed from ${restored.dir} at step ${this.step}`);
    return true;
  }

  /** Takes a checkpoint's position; the log loses what came after it (redone from here). */
  private adopt(point: RunPoint): void {
    this.step = point.step;
    this.position = point.position;
    this.lrScale = point.lrScale;
    this.rollbacks = point.rollbacks;
    this.folder.truncateMetricsAfter(this.step);
  }

  pause(): void {
    if (this.stateValue !== 'running' || this.pauseGate) return;
    this.pauseGate = new Promise((resolve) => {
      this.resumeGate = resolve;
    });
    this.setState('paused');
  }

  resume(): void {
    if (!this.pauseGate) return;
    const release = this.resumeGate;
    this.pauseGate = null;
    this.resumeGate = null;
    this.setState('running');
    release?.();
  }

  /**
   * Stops after the current step with a checkpoint. `evaluate` (the UI's stop) first measures
   * the test loss on that step's record; the engine's SIGTERM stops without it, to exit fast.
   */
  stop(options: { evaluate?: boolean } = {}): void {
    if (options.evaluate === false) this.evaluateOnStop = false;
    if (this.stopRequested) return;
    this.stopRequested = true;
    const wasPaused = this.pauseGate !== null;
    if (wasPaused) {
      const release = this.resumeGate;
      this.pauseGate = null;
      this.resumeGate = null;
      release?.();
    }
    if (this.stateValue === 'running' || this.stateValue === 'paused' || this.stateValue === 'starting') this.setState('stopping');
  }

  /**
   * Runs until the configured number of steps, a stop request, or a failure. Every step has
   * exactly one metrics record, appended before any checkpoint that covers it; the last step's
   * record carries the final evaluation. A stop checkpoints at once (no final evaluation).
   */
  async run(): Promise<TrainSummary> {
    const { train } = this.config;
    const guard = guardOf(train);
    this.setState('running');
    try {
      if (this.step === 0 && !this.restored) {
        await initializeFromData(this.model, this.dataset, this.config, this.position);
        const initial = await this.evaluateTest(0);
        this.initialTest = initial;
        this.emitMetrics({ step: 0, time: Date.now(), [this.testKey()]: initial, ...(await activationSlopeRecord(this.model)) });
        // A checkpoint at step 0: a kill loses nothing before the first interval, and the
        // guard always has a point to roll back to.
        await this.saveOrRollBack(guard, initial);
      }
      let stream = this.openStream();
      let nonFiniteRun = 0;
      let rolledBackFrom: number | null = null;
      let lastRecord: MetricsRecord | null = null;
      // A step's record waits for the next step to start (unless a checkpoint covers it at
      // once): a stop arriving between steps then puts its evaluation on that record.
      let pending: MetricsRecord | null = null;
      const flush = (): void => {
        if (pending) this.emitMetrics(pending);
        pending = null;
      };
      while (this.step < train.steps && !this.stopRequested) {
        if (this.pauseGate) {
          flush();
          await this.pauseGate;
        }
        if (this.stopRequested) break;
        flush();
        const next = await stream.next();
        if (next.done) throw new Error('the training data stream ended unexpectedly');
        const batch = next.value;
        const wantDiagnostics = (this.step + 1) % train.diagnosticsEvery === 0;
        const lr = learningRateAt(this.step, train.learningRate) * this.lrScale;
        const started = performance.now();
        const stats = await this.trainStep(batch, lr, wantDiagnostics);
        const seconds = (performance.now() - started) / 1000;
        this.position = batch.position;
        this.step += 1;
        if (!stats.finite) {
          nonFiniteRun += 1;
          this.log('warn', `step ${this.step}: non-finite loss or gradient (loss ${stats.loss}); update skipped (${nonFiniteRun} in a row)`);
        } else {
          nonFiniteRun = 0;
          this.trainSeconds += seconds;
          this.trainExamples += batch.n;
          this.lastTrain = stats.loss;
        }
        const record: MetricsRecord = {
          step: this.step,
          time: Date.now(),
          epoch: batch.position.epoch + batch.position.offset / Math.max(1, this.dataset.info.trainCount),
          lr,
          // NaN would be written as null, which is not a metrics record: only finite norms go in.
          ...(Number.isFinite(stats.gradNorm) ? { gradNorm: stats.gradNorm } : {}),
          imagesPerSecond: batch.n / seconds,
          ...(stats.finite ? { [this.trainKey()]: stats.loss } : { skipped: true }),
          ...(stats.finite && stats.objective !== undefined ? { trainObjective: stats.objective, transportCost: stats.transportCost } : {}),
          ...(stats.layerLogdet ? { layerLogdet: stats.layerLogdet, layerVariance: stats.layerVariance } : {}),
          ...(this.lrScale !== 1 ? { lrScale: this.lrScale } : {}),
          ...(rolledBackFrom !== null ? { rolledBackFrom } : {}),
        };
        rolledBackFrom = null;
        if (wantDiagnostics) {
          if (stats.activationMaxSlope && stats.activationMaxSlope.length > 0) record.activationMaxSlope = stats.activationMaxSlope;
          const warning = this.checkBlowup(record);
          if (warning) record.blowupWarning = warning;
        }
        if ((this.step >= train.steps || (this.stopRequested && this.evaluateOnStop)) && nonFiniteRun < guard.maxNonFiniteSteps) {
          lastRecord = record; // completed below with the final evaluation
          break;
        }
        let test: number | undefined;
        if (train.evalEvery > 0 && this.step % train.evalEvery === 0) {
          test = await this.evaluateTest(this.step);
          record[this.testKey()] = test;
          record.invertibilityError = await invertibilityError(this.model, this.config, this.dataset);
        }
        if (nonFiniteRun >= guard.maxNonFiniteSteps) {
          this.emitMetrics(record);
          rolledBackFrom = this.step;
          await this.rollBack(`${nonFiniteRun} consecutive steps with a non-finite loss or gradient`, guard);
          stream = this.openStream();
          nonFiniteRun = 0;
        } else if (!this.checkpoints.due(this.step)) {
          pending = record;
        } else {
          this.emitMetrics(record);
          if (!(await this.saveOrRollBack(guard, test))) {
            rolledBackFrom = this.step;
            stream = this.openStream();
          }
        }
        // Let queued requests (pause, sample, diagnostics) run between steps.
        await new Promise((resolve) => setImmediate(resolve));
      }
      if (pending !== null) {
        if (this.stopRequested && this.evaluateOnStop && !lastRecord) lastRecord = pending;
        else this.emitMetrics(pending);
        pending = null;
      }
      if (this.stopRequested && this.step < train.steps && (!this.evaluateOnStop || !lastRecord)) {
        if (lastRecord) this.emitMetrics(lastRecord);
        await this.checkpoints.save(this.point());
        this.setState('stopped');
        return this.result(null);
      }
      const finalTest = await this.evaluateTest(this.step);
      if (lastRecord) {
        this.emitMetrics({ ...lastRecord, [this.testKey()]: finalTest, invertibilityError: await invertibilityError(this.model, this.config, this.dataset) });
        await this.checkpoints.save(this.point(), finalTest);
      }
      this.setState(this.stopRequested && this.step < train.steps ? 'stopped' : 'finished');
      return this.result(finalTest);
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      this.log('error', message);
      this.setState('failed', message);
      throw error;
    }
  }

  private openStream(): AsyncIterator<Batch> {
    const { train } = this.config;
    const batches = this.dataset.batches('train', { batchSize: train.batchSize, seed: train.seed, shuffle: true, start: this.position, dropLast: true });
    return batches[Symbol.asyncIterator]();
  }

  private point(): RunPoint {
    return { step: this.step, position: this.position, lrScale: this.lrScale, rollbacks: this.rollbacks };
  }

  /** Saves a checkpoint; weights that are not finite are never written: the run rolls back instead (false). */
  private async saveOrRollBack(guard: ReturnType<typeof guardOf>, test?: number): Promise<boolean> {
    try {
      await this.checkpoints.save(this.point(), test);
      this.folder.writeStatus(this.status(this.stateValue));
      return true;
    } catch (error) {
      if (!(error instanceof NonFiniteCheckpointError)) throw error;
      await this.rollBack(error.message, guard);
      return false;
    }
  }

  /**
   * The guard's last resort: back to the newest good checkpoint with the learning rate lowered
   * by the factor, at most `maxRollbacks` times; then the run fails with what happened.
   */
  private async rollBack(reason: string, guard: ReturnType<typeof guardOf>): Promise<void> {
    const from = this.step;
    if (this.rollbacks >= guard.maxRollbacks) {
      throw new Error(
        `training diverged at step ${from} (${reason}) after ${this.rollbacks} rollback(s), the learning rate ×${guard.rollbackLrFactor} each time (now ×${this.lrScale}); ` +
          `the last good checkpoint is kept in ${this.folder.checkpointsDir}: start again with a lower train.learningRate.initial`,
      );
    }
    const restored = await this.checkpoints.restore((message) => this.log('warn', message));
    if (!restored) throw new Error(`training diverged at step ${from} (${reason}) and ${this.folder.checkpointsDir} has no checkpoint to roll back to`);
    this.adopt({ ...restored, lrScale: this.lrScale * guard.rollbackLrFactor, rollbacks: this.rollbacks + 1 });
    this.log(
      'warn',
      `rollback ${this.rollbacks} of ${guard.maxRollbacks}: ${reason} at step ${from}; back to the checkpoint of step ${this.step} (${restored.dir}) with the learning rate ×${this.lrScale}`,
    );
  }

  dispose(): void {
    this.optimizer.dispose();
  }

  /** One optimisation step on a batch (dequantisation noise drawn from the step). */
  private async trainStep(batch: Batch, lr: number, withDiagnostics: boolean): Promise<StepStats> {
    const x = batchToInput(batch, this.config.model, deriveSeed(this.config.train.seed, 'dequantize', this.step));
    try {
      return await optimisationStep({ model: this.model, config: this.config.model, optimizer: this.optimizer, x, lr, withDiagnostics, memory: memoryModeOf(this.config), gradients: this.gradients });
    } finally {
      x.dispose();
    }
  }

  private evaluateTest(step: number): Promise<number> {
    return testLoss(this.model, this.config, this.dataset, step, (update) => this.callbacks.onProgress?.(update));
  }

  /** The Sec. 2.2 detector (blowupWatch.ts); its warning goes to the log. */
  private checkBlowup(record: MetricsRecord): string | null {
    const warning = this.blowup.check(record);
    return warning === null ? null : (this.log('warn', warning), warning);
  }

  private emitMetrics(record: MetricsRecord): void {
    this.folder.appendMetrics(record);
    this.callbacks.onMetrics?.(record);
  }

  private status(state: RunState, message?: string): RunStatus {
    return { runId: this.runId, state, step: this.step, totalSteps: this.config.train.steps, backend: this.backend, updated: Date.now(), ...(message ? { message } : {}) };
  }

  private setState(state: RunState, message?: string): void {
    this.stateValue = state;
    this.folder.writeStatus(this.status(state, message));
    this.callbacks.onState?.(this.summary(), message);
  }

  private log = (level: 'debug' | 'info' | 'warn' | 'error', message: string): void => this.callbacks.onLog?.(level, message);

  private trainKey = (): 'trainBpd' | 'trainNll' => (lossUnit(this.config.model) === 'nats' ? 'trainNll' : 'trainBpd');
  private testKey = (): 'testBpd' | 'testNll' => (lossUnit(this.config.model) === 'nats' ? 'testNll' : 'testBpd');

  private result(finalTest: number | null): TrainSummary {
    const imagesPerSecond = this.trainSeconds > 0 ? this.trainExamples / this.trainSeconds : 0;
    return { steps: this.step, imagesPerSecond, initialTest: this.initialTest, finalTest, finalTrain: this.lastTrain, state: this.stateValue };
  }
}
