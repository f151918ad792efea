/**
 * The engine's runs: starts trainers (new or resumed), controls them, lists run folders and
 * loads finished runs for inference (sampling, latent studio, diagnostics). One instance per
 * engine process; the protocol handlers are thin wrappers around it.
 */
import { existsSync } from 'node:fs';
import { lossUnit } from '../../../src-shared/lossUnit';
import { join, resolve } from 'node:path';
import { type PresetName, type RunConfig, type RunOverrides, resolveRunConfig } from '../../../src-shared/config';
import type { LayerDescriptor, MetricsRecord, RunRef, RunSummary } from '../../../src-shared/protocol';
import type { Dataset, OpenOptions } from '../../data/types';
import { backendInfo } from '../backend';
import { createFlowModel } from '../flow/model';
import type { FlowModel } from '../flow/types';
import { assignVariables, loadLatestCheckpoint } from '../train/checkpoint';
import { readJsonSync } from '../train/durableFiles';
import { assertRunFits } from '../train/memoryCheck';
import { RunFolder, defaultRunsRoot, listRunFolders, newRunDir, writeFileAtomic } from '../train/runFolder';
import { deriveSeed } from '../train/seeds';
import { Trainer, type TrainerCallbacks, type TrainSummary } from '../train/trainer';
import { startDataParallel } from './dataParallelRun';
import { decimateMetrics } from './decimate';
import { releaseAtRequestEnd } from './leases';

export interface StartOptions {
  preset: PresetName;
  overrides: RunOverrides;
  runDir?: string;
  resume: boolean;
  callbacks: TrainerCallbacks;
}

/** A model ready for inference, with what produced it. */
export interface LoadedRun {
  folder: RunFolder;
  config: RunConfig;
  model: FlowModel;
  step: number;
  /** True when this is the live model of an active trainer (do not dispose). */
  live: boolean;
}

export type DatasetOpener = (spec: string, options?: OpenOptions) => Promise<Dataset>;

export class RunManager {
  private readonly trainers = new Map<string, { trainer: Trainer; done: Promise<TrainSummary | null> }>();
  /**
   * Last run loaded from disk for inference (one at a time: models can be large). A model
   * evicted while requests still hold it (leases.ts) is disposed when the last one ends.
   */
  private cached: CachedRun | null = null;
  private nextId = 1;

  constructor(
    private readonly openDataset: DatasetOpener,
    private readonly runsRoot: string = defaultRunsRoot(),
  ) {}

  /** Creates (or resumes) a run and starts training it in the background. */
  async start(options: StartOptions): Promise<{ trainer: Trainer; done: Promise<TrainSummary | null> }> {
    this.releaseEnded();
    let folder: RunFolder;
    let config: RunConfig;
    if (options.resume) {
      if (!options.runDir) throw new Error('resume needs the run folder (runDir)');
      folder = new RunFolder(resolve(options.runDir));
      config = folder.readConfig();
      this.assertNotActive(folder.dir);
    } else {
      config = resolveRunConfig(options.preset, options.overrides);
      folder = new RunFolder(options.runDir ? resolve(options.runDir) : newRunDir(this.runsRoot, options.preset));
      if (folder.exists()) throw new Error(`${folder.dir} already holds a run (config.json exists); resume it or choose another folder`);
    }
    // Everything that can fail on bad input fails before anything is written (or allocated).
    const dataset = await this.openDataset(config.data);
    checkDataMatchesModel(dataset, config);
    await assertRunFits(config, (message) => options.callbacks.onLog?.('warn', message), { gpu: backendInfo().gpu });
    const modelSeed = deriveSeed(config.train.seed, 'init');
    const model = createFlowModel(config.model, { seed: modelSeed });
    if (options.resume) {
      // A resumed run keeps its config; only its length may change (to extend a finished run).
      const steps = options.overrides.train?.steps;
      if (steps !== undefined && steps !== config.train.steps) {
        config = { ...config, train: { ...config.train, steps } };
        folder.writeConfig(config);
      }
    } else {
      folder.create(config);
    }
    writeFileAtomic(join(folder.dir, 'layers.json'), `${JSON.stringify(model.layers)}\n`);
    const runId = `run-${this.nextId++}-${folder.name}`;
    const parallel = startDataParallel(config, modelSeed, options.callbacks.onLog);
    const trainer = new Trainer({
      runId,
      config,
      folder,
      dataset,
      model,
      backend: backendInfo().active,
      callbacks: options.callbacks,
      gradients: parallel?.compute,
    });
    if (options.resume && !(await trainer.restore())) {
      options.callbacks.onLog?.('warn', `${folder.dir} has no checkpoint yet; starting it from step 0`);
    }
    this.invalidateCache(folder.dir);
    const done = trainer
      .run()
      .catch(() => null)
      .finally(() => parallel?.close());
    const entry = { trainer, done };
    this.trainers.set(runId, entry);
    return entry;
  }

  get(runId: string): Trainer {
    const entry = this.trainers.get(runId);
    if (!entry) throw new Error(`no active run "${runId}" in this engine (it may have been started by another engine process)`);
    return entry.trainer;
  }

  active(): Trainer[] {
    return [...this.trainers.values()].map((e) => e.trainer);
  }

  /** Runs found on disk under `root` (default: the runs folder), newest first. */
  onDisk(root = this.runsRoot): RunSummary[] {
    const out: RunSummary[] = [];
    for (const folder of listRunFolders(resolve(root))) {
      try {
        const config = folder.readConfig();
        const status = folder.readStatus();
        const live = this.findByDir(folder.dir);
        out.push(
          live
            ? live.summary()
            : {
                runId: status?.runId ?? folder.name,
                runDir: folder.dir,
                preset: config.preset,
                data: config.data,
                // A run that was "running" when its engine died is not running now.
                state: status?.state === 'running' || status?.state === 'paused' || status?.state === 'stopping' ? 'stopped' : (status?.state ?? 'stopped'),
                step: status?.step ?? 0,
                totalSteps: config.train.steps,
                backend: status?.backend ?? 'unknown',
              },
        );
      } catch {
        // Not a readable run: skip it rather than fail the whole listing.
      }
    }
    return out;
  }

  /** A run's config, layers and decimated metric history. */
  open(ref: RunRef, maxPoints: number): { run: RunSummary; config: RunConfig; layers: LayerDescriptor[]; metrics: MetricsRecord[] } {
    const live = 'runId' in ref ? this.get(ref.runId) : this.findByDir(resolve(ref.runDir));
    const folder = live ? live.folder : new RunFolder(resolve((ref as { runDir: string }).runDir));
    const config = folder.readConfig();
    const run = live ? live.summary() : this.onDisk(join(folder.dir, '..')).find((r) => r.runDir === folder.dir);
    if (!run) throw new Error(`${folder.dir} is not a readable run folder`);
    return { run, config, layers: live ? [...live.layers] : readLayers(folder), metrics: decimateMetrics(folder.readMetrics(), maxPoints) };
  }

  /** The model of a run for inference: the live one while it trains, else the latest checkpoint. */
  async load(ref: RunRef): Promise<LoadedRun> {
    const live = 'runId' in ref ? this.get(ref.runId) : this.findByDir(resolve(ref.runDir));
    if (live) return { folder: live.folder, config: live.config, model: live.model, step: live.step, live: true };
    const dir = resolve((ref as { runDir: string }).runDir);
    if (this.cached && this.cached.run.folder.dir === dir) return this.lease(this.cached);
    const folder = new RunFolder(dir);
    const config = folder.readConfig();
    const checkpoint = await loadLatestCheckpoint(folder.checkpointsDir);
    if (!checkpoint) throw new Error(`${dir} has no checkpoint yet: train it first`);
    const modelSeed = deriveSeed(config.train.seed, 'init');
    const model = createFlowModel(config.model, { seed: modelSeed });
    try {
      assignVariables(model.variables, model.parameterNames, checkpoint.tensors, checkpoint.dir);
    } catch (error) {
      model.dispose();
      throw error;
    } finally {
      for (const t of Object.values(checkpoint.tensors)) t.dispose();
    }
    // Another request may have loaded this run while the checkpoint was read.
    if (this.cached && this.cached.run.folder.dir === dir) {
      model.dispose();
      return this.lease(this.cached);
    }
    this.invalidateCache();
    this.cached = { run: { folder, config, model, step: checkpoint.step, live: false }, leases: 0, evicted: false };
    return this.lease(this.cached);
  }

  /** Hands a cached run to the current request, which holds it until it ends. */
  private lease(entry: CachedRun): LoadedRun {
    if (releaseAtRequestEnd(() => this.release(entry))) entry.leases += 1;
    return entry.run;
  }

  private release(entry: CachedRun): void {
    entry.leases -= 1;
    if (entry.evicted && entry.leases === 0) entry.run.model.dispose();
  }

  /**
   * Stops every running trainer and waits until each has written its stop checkpoint (the
   * engine's SIGTERM / SIGINT: the host's graceful shutdown, the app closing).
   */
  async stopAll(): Promise<void> {
    const entries = [...this.trainers.values()].filter((e) => !isEnded(e.trainer));
    for (const { trainer } of entries) trainer.stop({ evaluate: false });
    await Promise.all(entries.map((e) => e.done));
  }

  /** Waits for a run's loop to end (tests, CLI). */
  async wait(runId: string): Promise<TrainSummary | null> {
    const entry = this.trainers.get(runId);
    return entry ? entry.done : null;
  }

  /** The trainer of a folder, running or ended (an ended one still holds the final weights). */
  private findByDir(dir: string): Trainer | undefined {
    return this.active().find((t) => t.folder.dir === dir);
  }

  private assertNotActive(dir: string): void {
    const trainer = this.findByDir(dir);
    if (trainer && !isEnded(trainer)) throw new Error(`${dir} is already training in this engine`);
  }

  /** Frees the models of ended runs before a new one starts (their folders keep everything). */
  private releaseEnded(): void {
    for (const [runId, entry] of this.trainers) {
      if (!isEnded(entry.trainer)) continue;
      entry.trainer.model.dispose();
      entry.trainer.dispose();
      this.trainers.delete(runId);
    }
  }

  private invalidateCache(dir?: string): void {
    const entry = this.cached;
    if (entry && (dir === undefined || entry.run.folder.dir === dir)) {
      this.cached = null;
      entry.evicted = true;
      if (entry.leases === 0) entry.run.model.dispose();
    }
  }
}

interface CachedRun {
  run: LoadedRun;
  /** Requests in flight holding the model. */
  leases: number;
  /** No longer the cache's: disposed when the last lease ends. */
  evicted: boolean;
}

function isEnded(trainer: Trainer): boolean {
  return trainer.state === 'finished' || trainer.state === 'stopped' || trainer.state === 'failed';
}

function readLayers(folder: RunFolder): LayerDescriptor[] {
  const path = join(folder.dir, 'layers.json');
  if (!existsSync(path)) return [];
  try {
    // Regular files only: a FIFO here must not block the engine (train/durableFiles.ts).
    return readJsonSync(path) as LayerDescriptor[];
  } catch {
    return [];
  }
}

/** The dataset's example shape and bits must be what the model was configured for. */
export function checkDataMatchesModel(dataset: Dataset, config: RunConfig): void {
  const want = config.model.inputShape.join('×');
  const got = dataset.info.shape.join('×');
  if (want !== got) {
    throw new Error(`${config.data} has examples of shape ${got} but preset ${config.preset} expects ${want}; pick a matching preset or override model.inputShape`);
  }
  if (lossUnit(config.model) === 'bpd' && dataset.info.bits !== config.model.bits) {
    throw new Error(`${config.data} delivers ${dataset.info.bits}-bit data but the model is configured for ${config.model.bits} bits; set bits in the data spec (?bits=${config.model.bits}) or in the model`);
  }
}
