/**
 * The training loop: one run of one model on one dataset, resumable exactly. It owns the
 * model, the optimiser and the data stream; reports metrics, state and progress through
 * callbacks (the engine turns them into protocol events, the CLI into a progress bar), and
 * writes everything that matters into the run folder as it goes.
 *
 * Control: pause / resume / stop take effect between steps. The loop yields to the event loop
 * after every step, so protocol requests (sampling, diagnostics) are answered while it trains.
 */
import { type RunConfig, memoryModeOf } from '../../../src-shared/config';
import { roundTrip } from '../flow/roundTrip';
import { lossUnit } from '../../../src-shared/lossUnit';
import type { LayerDescriptor, MetricsRecord, RunState, RunSummary } from '../../../src-shared/protocol';
import type { Batch, Dataset, ProgressUpdate, StreamPosition } from '../../data/types';
import type { FlowModel } from '../flow/types';
import { type Tensor, tf } from '../tf';
import { Adamax } from './adamax';
import { assignVariables, loadLatestCheckpoint, saveCheckpoint } from './checkpoint';
import { evaluate } from './evaluate';
import { batchToInput } from './objective';
import { RunFolder } from './runFolder';
import { type LogdetHistoryPoint, detectLogdetBlowup } from '../theory/blowup';
import { learningRateAt } from './schedule';
import { deriveSeed } from './seeds';
import { type StepStats, optimisationStep } from './step';

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
  /** Warn (and keep going) on a non-finite step; fail after this many in a row. */
  maxNonFiniteSteps?: number;
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

export class Trainer {
  readonly runId: string;
  readonly config: RunConfig;
  readonly folder: RunFolder;
  readonly model: FlowModel;
  readonly dataset: Dataset;
  readonly backend: string;
  private readonly optimizer: Adamax;
  private readonly callbacks: TrainerCallbacks;
  private readonly maxNonFinite: number;
  private position: StreamPosition = { epoch: 0, offset: 0 };
  private stateValue: RunState = 'starting';
  private stopRequested = false;
  private resumeGate: (() => void) | null = null;
  private pauseGate: Promise<void> | null = null;
  step = 0;
  private trainSeconds = 0;
  private trainExamples = 0;
  private lastTrain: number | null = null;
  private initialTest: number | null = null;
  /** Recent diagnostic records for the blow-up detector (bounded). */
  private readonly logdetHistory: LogdetHistoryPoint[] = [];
  private lastBlowupStep = -Infinity;

  constructor(init: TrainerInit) {
    this.runId = init.runId;
    this.config = init.config;
    this.folder = init.folder;
    this.dataset = init.dataset;
    this.model = init.model;
    this.backend = init.backend;
    this.callbacks = init.callbacks ?? {};
    this.maxNonFinite = init.maxNonFiniteSteps ?? 20;
    this.optimizer = new Adamax(init.config.train.adamax);
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

  /** Restores weights, optimiser state, step and stream position from the latest checkpoint. */
  restore(): boolean {
    const checkpoint = loadLatestCheckpoint(this.folder.checkpointsDir);
    if (!checkpoint) return false;
    try {
      assignVariables(this.model.variables, this.model.parameterNames, checkpoint.tensors, checkpoint.dir);
      this.optimizer.load(checkpoint.tensors, checkpoint.optimizerIterations, this.model.variables, this.model.parameterNames);
    } finally {
      for (const t of Object.values(checkpoint.tensors)) t.dispose();
    }
    this.step = checkpoint.step;
    this.position = checkpoint.position;
    // Metrics logged after the checkpoint belong to steps that will be redone.
    this.folder.truncateMetricsAfter(this.step);
    const earlier = this.folder.readMetrics();
    this.initialTest = earlier.find((r) => r.step === 0 && (r.testBpd ?? r.testNll) !== undefined)?.[this.testKey()] ?? null;
    this.log('info', `resumed from ${checkpoint.dir} at step ${this.step}`);
    return true;
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

  stop(): void {
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

  /** Runs until the configured number of steps, a stop request, or a failure. */
  async run(): Promise<TrainSummary> {
    const { train } = this.config;
    this.setState('running');
    try {
      if (this.step === 0) {
        await this.initializeFromData();
        const initial = await this.evaluateTest(0);
        this.initialTest = initial;
        this.emitMetrics({ step: 0, time: Date.now(), [this.testKey()]: initial, ...(await this.activationSlopes()) });
      }
      const stream = this.dataset.batches('train', {
        batchSize: train.batchSize,
        seed: train.seed,
        shuffle: true,
        start: this.position,
        dropLast: true,
      })[Symbol.asyncIterator]();
      let nonFiniteRun = 0;
      while (this.step < train.steps && !this.stopRequested) {
        if (this.pauseGate) await this.pauseGate;
        if (this.stopRequested) break;
        const next = await stream.next();
        if (next.done) throw new Error('the training data stream ended unexpectedly');
        const batch = next.value;
        const wantDiagnostics = (this.step + 1) % train.diagnosticsEvery === 0;
        const lr = learningRateAt(this.step, train.learningRate);
        const started = performance.now();
        const stats = await this.trainStep(batch, lr, wantDiagnostics);
        const seconds = (performance.now() - started) / 1000;
        this.position = batch.position;
        this.step += 1;
        if (!stats.finite) {
          nonFiniteRun += 1;
          this.log('warn', `step ${this.step}: non-finite loss or gradient (loss ${stats.loss}); update skipped`);
          if (nonFiniteRun >= this.maxNonFinite) {
            throw new Error(`${nonFiniteRun} consecutive non-finite steps: training diverged (last checkpoint kept)`);
          }
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
          gradNorm: stats.gradNorm,
          imagesPerSecond: batch.n / seconds,
          ...(stats.finite ? { [this.trainKey()]: stats.loss } : {}),
          ...(stats.finite && stats.objective !== undefined ? { trainObjective: stats.objective, transportCost: stats.transportCost } : {}),
          ...(stats.layerLogdet ? { layerLogdet: stats.layerLogdet, layerVariance: stats.layerVariance } : {}),
        };
        if (wantDiagnostics) {
          if (stats.activationMaxSlope && stats.activationMaxSlope.length > 0) record.activationMaxSlope = stats.activationMaxSlope;
          const warning = this.checkBlowup(record);
          if (warning) record.blowupWarning = warning;
        }
        if (train.evalEvery > 0 && this.step % train.evalEvery === 0 && this.step < train.steps) {
          record[this.testKey()] = await this.evaluateTest(this.step);
          record.invertibilityError = await this.invertibilityError();
        }
        if (train.checkpointEvery > 0 && this.step % train.checkpointEvery === 0) await this.checkpoint();
        this.emitMetrics(record);
        // Let queued requests (pause, sample, diagnostics) run between steps.
        await new Promise((resolve) => setImmediate(resolve));
      }
      const finalTest = await this.evaluateTest(this.step);
      this.emitMetrics({ step: this.step, time: Date.now(), [this.testKey()]: finalTest, invertibilityError: await this.invertibilityError() });
      await this.checkpoint();
      this.setState(this.stopRequested && this.step < train.steps ? 'stopped' : 'finished');
      return this.result(finalTest);
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      this.log('error', message);
      this.setState('failed', message);
      throw error;
    }
  }

  dispose(): void {
    this.optimizer.dispose();
  }

  /**
   * Data-dependent initialisation (Glow's ActNorm) from the run's first training batch, before
   * step 1 of a new run. It lives in the variables afterwards, so checkpoints carry it and a
   * resumed run (step > 0) never repeats it; a run restarted before its first checkpoint redoes
   * it from the same batch and noise, to the same values.
   */
  private async initializeFromData(): Promise<void> {
    if (!this.model.initializeFromData) return;
    const { train } = this.config;
    const it = this.dataset.batches('train', { batchSize: train.batchSize, seed: train.seed, shuffle: true, start: this.position, dropLast: true })[Symbol.asyncIterator]();
    const { value: batch } = await it.next();
    await it.return?.();
    if (!batch) return;
    const x = batchToInput(batch, this.config.model, deriveSeed(train.seed, 'dequantize', 0));
    try {
      this.model.initializeFromData(x);
    } finally {
      x.dispose();
    }
  }

  /** One optimisation step on a batch (dequantisation noise drawn from the step). */
  private async trainStep(batch: Batch, lr: number, withDiagnostics: boolean): Promise<StepStats> {
    const x = batchToInput(batch, this.config.model, deriveSeed(this.config.train.seed, 'dequantize', this.step));
    try {
      return await optimisationStep({ model: this.model, config: this.config.model, optimizer: this.optimizer, x, lr, withDiagnostics, memory: memoryModeOf(this.config) });
    } finally {
      x.dispose();
    }
  }

  private async evaluateTest(step: number): Promise<number> {
    const { train } = this.config;
    const started = performance.now();
    const result = await evaluate({
      model: this.model,
      config: this.config.model,
      dataset: this.dataset,
      split: 'test',
      limit: train.evalN,
      batchSize: Math.min(train.batchSize, 256),
      seed: deriveSeed(train.seed, 'eval'),
      onProgress: (done, total) =>
        this.callbacks.onProgress?.({
          task: 'eval',
          done,
          total,
          ratePerSecond: done / Math.max(1e-9, (performance.now() - started) / 1000),
          etaSeconds: null,
          message: `test evaluation at step ${step}`,
        }),
    });
    return result.mean;
  }

  /** max |x − f⁻¹(f(x))| over the first test examples (at most 16), with evaluation noise. */
  private async invertibilityError(): Promise<number> {
    const n = Math.min(16, this.dataset.info.testCount);
    const stream = this.dataset.batches('test', { batchSize: n, seed: 0, shuffle: false, epochs: 1, limit: n });
    const { value: batch } = await stream[Symbol.asyncIterator]().next();
    if (!batch) return 0;
    const error = tf.tidy(() => {
      const x = batchToInput(batch, this.config.model, deriveSeed(this.config.train.seed, 'eval'));
      return roundTrip(this.model, x).error;
    });
    const value = (await error.data())[0]!;
    error.dispose();
    return value;
  }

  /**
   * Runs the Sec. 2.2 detector on the recent per-layer log-dets; warns at most once per
   * detector window so a persisting condition does not flood the log.
   */
  private checkBlowup(record: MetricsRecord): string | null {
    // While the learning rate ramps up every layer's log-det accelerates by design; judging
    // the trend starts once the warm-up is over (measured: a false alarm at step 80 otherwise).
    if (!record.layerLogdet || record.step <= this.config.train.learningRate.warmupSteps) return null;
    this.logdetHistory.push({
      step: record.step,
      layerLogdet: record.layerLogdet,
      ...(record.trainBpd !== undefined ? { trainBpd: record.trainBpd } : {}),
      ...(record.trainNll !== undefined ? { trainNll: record.trainNll } : {}),
    });
    if (this.logdetHistory.length > 40) this.logdetHistory.shift();
    const warning = detectLogdetBlowup(
      this.logdetHistory,
      this.model.layers.map((l) => l.name),
      lossUnit(this.config.model) === 'nats' ? {} : { dims: this.model.dims },
    );
    if (!warning || record.step - this.lastBlowupStep < 40 * this.config.train.diagnosticsEvery) return null;
    this.lastBlowupStep = record.step;
    this.log('warn', warning.message);
    return warning.message;
  }

  private async activationSlopes(): Promise<Partial<MetricsRecord>> {
    const { model } = this;
    if (!model.activationSlopeData || !model.activationMaxSlopesFrom) return {};
    const table = model.activationSlopeData();
    const values = await table.data();
    table.dispose();
    const slopes = model.activationMaxSlopesFrom(values);
    return slopes.length > 0 ? { activationMaxSlope: slopes } : {};
  }

  private async checkpoint(): Promise<void> {
    const tensors: Record<string, Tensor> = { ...this.optimizer.state(this.model.variables, this.model.parameterNames) };
    this.model.variables.forEach((v, i) => {
      tensors[this.model.parameterNames[i]!] = v;
    });
    await saveCheckpoint(this.folder.checkpointsDir, {
      step: this.step,
      optimizerIterations: this.optimizer.iterations,
      position: this.position,
      backend: this.backend,
    }, tensors);
    this.folder.writeStatus({ runId: this.runId, state: this.stateValue, step: this.step, totalSteps: this.config.train.steps, backend: this.backend, updated: Date.now() });
  }

  private emitMetrics(record: MetricsRecord): void {
    this.folder.appendMetrics(record);
    this.callbacks.onMetrics?.(record);
  }

  private setState(state: RunState, message?: string): void {
    this.stateValue = state;
    this.folder.writeStatus({
      runId: this.runId,
      state,
      step: this.step,
      totalSteps: this.config.train.steps,
      backend: this.backend,
      updated: Date.now(),
      ...(message ? { message } : {}),
    });
    this.callbacks.onState?.(this.summary(), message);
  }

  private log(level: 'debug' | 'info' | 'warn' | 'error', message: string): void {
    this.callbacks.onLog?.(level, message);
  }

  private trainKey(): 'trainBpd' | 'trainNll' {
    return lossUnit(this.config.model) === 'nats' ? 'trainNll' : 'trainBpd';
  }

  private testKey(): 'testBpd' | 'testNll' {
    return lossUnit(this.config.model) === 'nats' ? 'testNll' : 'testBpd';
  }

  private result(finalTest: number): TrainSummary {
    return {
      steps: this.step,
      imagesPerSecond: this.trainSeconds > 0 ? this.trainExamples / this.trainSeconds : 0,
      initialTest: this.initialTest,
      finalTest,
      finalTrain: this.lastTrain,
      state: this.stateValue,
    };
  }
}
