/**
 * A scripted fake engine behind a MemoryBridge, for store and component tests (and for looking
 * at the UI without a trained model). It keeps runs, answers every command with plausible,
 * deterministic values, and emits `metrics` / `state` events when the test calls `tick`.
 * It tests UI logic, not flow math: the numbers only need the right shape and to change.
 */
import { PRESETS, type PresetName, type RunConfig, resolveRunConfig } from '../../../src-shared/config';
import { parseDataSpec } from '../../../src-shared/dataSpec';
import type { CommandArgs, LayerDescriptor, MetricsRecord, RunState, RunSummary } from '../../../src-shared/protocol';
import { listPresets } from '../../../src-main/engine/presetCatalogue';
import { MemoryBridge } from './memoryBridge';
import { patternPng } from './png';

export interface FakeRun {
  summary: RunSummary;
  config: RunConfig;
  layers: LayerDescriptor[];
  metrics: MetricsRecord[];
}

export interface FakeEngineOptions {
  mode?: 'electron' | 'serve' | 'embedded';
  /** Start of the fake clock (ms); each step advances it by `msPerStep`. */
  clockStart?: number;
  msPerStep?: number;
  /** What pickPath answers in Electron mode. */
  pickedPath?: string | null;
}

const KINDS = ['conv', 'aff', 'act'] as const;

export function layersFor(config: RunConfig): LayerDescriptor[] {
  const layers: LayerDescriptor[] = [];
  for (let level = 0; level < config.model.levels; level++) {
    for (let block = 0; block < config.model.blocksPerLevel; block++) {
      for (const kind of KINDS) layers.push({ name: `L${level + 1}.B${block + 1}.${kind}`, level, block, kind });
    }
  }
  return layers;
}

function isToy(config: RunConfig): boolean {
  return config.model.inputShape.length === 1;
}

/** The record the fake engine logs at `step` (deterministic in the step). */
export function fakeRecord(run: FakeRun, step: number, time: number): MetricsRecord {
  const { train } = run.config;
  const toy = isToy(run.config);
  const loss = (toy ? 1.2 : 2.1) + (toy ? 2.5 : 5.9) * Math.exp(-step / 150) + 0.05 * Math.sin(step * 1.7);
  const record: MetricsRecord = {
    step,
    time,
    epoch: (step * train.batchSize) / 50_000,
    lr: Math.max(train.learningRate.final, train.learningRate.initial * train.learningRate.decayRate ** (step / train.learningRate.decaySteps)),
    gradNorm: 5 * Math.exp(-step / 400) + 0.5 + 0.2 * Math.abs(Math.sin(step)),
    imagesPerSecond: 120 + 10 * Math.sin(step / 7),
  };
  if (toy) record.trainNll = loss;
  else record.trainBpd = loss;
  const evalEvery = Math.max(1, Math.min(train.evalEvery || 50, 50));
  if (step % evalEvery === 0) {
    if (toy) record.testNll = loss + 0.08;
    else record.testBpd = loss + 0.08;
  }
  if (step % Math.max(1, train.diagnosticsEvery) === 0) {
    const grow = Math.log1p(step / 60);
    record.layerLogdet = run.layers.map((l) => (l.kind === 'conv' ? 1 : l.kind === 'aff' ? 0.4 : -1.2) * grow * (1 + 0.3 * l.level) - 0.1 * l.block);
    record.layerVariance = run.layers.map((l, i) => Math.exp(0.3 * Math.sin(step / 40 + i) + 0.2 * l.level + (l.kind === 'act' ? -0.5 : 0.4) * grow));
  }
  return record;
}

export class FakeEngine {
  readonly bridge: MemoryBridge;
  readonly runs = new Map<string, FakeRun>();
  private nextRun = 1;
  private clock: number;
  private readonly msPerStep: number;

  constructor(private readonly options: FakeEngineOptions = {}) {
    this.clock = options.clockStart ?? 1_700_000_000_000;
    this.msPerStep = options.msPerStep ?? 100;
    this.bridge = new MemoryBridge({
      ping: ({ nonce }) => ({ nonce, pid: 4242, uptimeMs: 1 }),
      getBackendInfo: () => ({
        active: 'wasm',
        package: '@tensorflow/tfjs-backend-wasm',
        reason: 'fake engine for tests',
        skipped: [],
        tfjsVersion: '4.22.0',
        gpu: false,
        simd: true,
        threads: 1,
        numTensors: 0,
        numBytes: 0,
      }),
      getHostInfo: () => ({ mode: options.mode ?? 'serve', appVersion: '0.0.0-test', protocolVersion: 1, enginePid: 4242, engineRestarts: 0 }),
      restartEngine: () => ({ pid: 4343 }),
      pickPath: () => {
        if ((options.mode ?? 'serve') !== 'electron') throw new Error('pickPath needs the desktop app: type the path instead');
        return { path: options.pickedPath ?? null };
      },
      datasetInfo: (args) => this.datasetInfo(args),
      datasetImage: ({ index }) => ({ png: patternPng(16, 16, index) }),
      startTraining: (args) => this.startTraining(args),
      controlTraining: ({ runId, action }) => {
        const run = this.get(runId);
        const next: Record<typeof action, RunState> = { pause: 'paused', resume: 'running', stop: 'stopped' };
        this.setState(run, next[action]);
        return { run: run.summary };
      },
      listRuns: () => {
        const all = [...this.runs.values()].map((r) => r.summary);
        const live = (s: RunState): boolean => ['starting', 'running', 'paused', 'stopping'].includes(s);
        return { active: all.filter((s) => live(s.state)), onDisk: all.filter((s) => !live(s.state)) };
      },
      openRun: ({ run: ref, maxPoints }) => {
        const run = 'runId' in ref ? this.get(ref.runId) : [...this.runs.values()].find((r) => r.summary.runDir === ref.runDir);
        if (!run) throw new Error(`no run at ${'runDir' in ref ? ref.runDir : ref.runId}`);
        const stride = Math.ceil(run.metrics.length / maxPoints);
        return { run: run.summary, config: run.config, layers: run.layers, metrics: run.metrics.filter((_, i) => i % stride === 0) };
      },
      sample: ({ n, temperature, seed, run }) => {
        const r = this.resolve(run);
        const side = Math.ceil(Math.sqrt(n));
        return { grid: patternPng(side * 8, side * 8, temperature, seed, r.summary.step / 1000), n, temperature, step: r.summary.step, seconds: 0 };
      },
      perturb: ({ image, levels, seed }) => {
        const idx = 'index' in image ? image.index : image.file.length;
        const code = levels.reduce((acc, l, i) => acc + (l.keep ? 0 : (i + 1) * (0.3 + l.temperature)), 0);
        return {
          original: patternPng(16, 16, idx),
          reconstruction: patternPng(16, 16, idx),
          perturbed: patternPng(16, 16, idx, code, seed % 7),
          reconstructionError: 1e-5,
        };
      },
      perturbGrid: ({ run, image, temperature, seed }) => {
        const levels = this.resolve(run).config.model.levels;
        const idx = 'index' in image ? image.index : 0;
        const row = (first: number): ReturnType<typeof patternPng>[] =>
          Array.from({ length: levels }, (_, k) => patternPng(16, 16, idx, first + k * temperature, seed % 5));
        return { original: patternPng(16, 16, idx), reconstruction: patternPng(16, 16, idx), reconstructionError: 1e-5, keepFirst: row(0.1), resampleFirst: row(1.7) };
      },
      interpolate: ({ steps }) => ({ frames: Array.from({ length: steps }, (_, i) => patternPng(16, 16, i / steps)) }),
      bounds: ({ data, split }) => {
        // Like the engine: the bounds are defined for n-bit image data only.
        if (parseDataSpec(data).format === 'toy') throw new Error(`bounds are defined for n-bit image datasets; ${data} holds continuous points`);
        return { ppcaBpd: 4.2, qlfBpd: 2.01, estimator: 'fake estimator', split, dims: 784, count: 1000 };
      },
      toyDensity: ({ run, resolution, extent }) => {
        const step = this.resolve(run).summary.step;
        const sharp = 1 + step / 100;
        const logDensity: number[] = [];
        for (let row = 0; row < resolution; row++) {
          for (let col = 0; col < resolution; col++) {
            const x = -extent + ((col + 0.5) * 2 * extent) / resolution;
            const y = extent - ((row + 0.5) * 2 * extent) / resolution;
            logDensity.push(-0.5 * sharp * ((x - 1) ** 2 + y ** 2) + Math.log(1 + Math.exp(-sharp * ((x + 1) ** 2 + (y - 0.5) ** 2))));
          }
        }
        return { resolution, extent, logDensity };
      },
      toyLayers: ({ run, n }) => {
        const r = this.resolve(run);
        const step = r.summary.step;
        return {
          layers: [{ name: 'data', level: 0 }, ...r.layers].map((layer, li) => {
            const points: number[] = [];
            for (let i = 0; i < n; i++) {
              const t = (i / n) * Math.PI * 2;
              const warp = 1 + 0.2 * li + step / 1000;
              points.push(Math.cos(t * (1 + li * 0.1)) * warp, Math.sin(t) * warp * 0.6 + 0.1 * Math.sin(li + i));
            }
            return { name: layer.name, points, scale: 1 + 0.2 * li + step / 1000 };
          }),
        };
      },
      lipschitz: ({ run, iterations }) => {
        const { model } = this.resolve(run).config;
        const blocks = [];
        for (let l = 1; l <= model.levels; l++) for (let b = 1; b <= model.blocksPerLevel; b++) blocks.push({ name: `L${l}.B${b}`, estimate: 1 + l / 10 + b / 100 + 1 / iterations });
        return { blocks };
      },
      // The real catalogue: counting parameters is pure arithmetic on the preset configs.
      listPresets: () => ({ presets: listPresets() }),
    });
  }

  get(runId: string): FakeRun {
    const run = this.runs.get(runId);
    if (!run) throw new Error(`no run with id ${runId}`);
    return run;
  }

  resolve(ref: CommandArgs<'sample'>['run']): FakeRun {
    if ('runId' in ref) return this.get(ref.runId);
    const run = [...this.runs.values()].find((r) => r.summary.runDir === ref.runDir);
    if (!run) throw new Error(`no run at ${ref.runDir}`);
    return run;
  }

  /** Adds a finished run with `steps` of history (what `runs/` holds from an earlier session). */
  addRun(preset: PresetName, steps: number, state: RunState = 'finished', data?: string): FakeRun {
    const run = this.createRun(preset, data ? { data } : {});
    for (let s = 1; s <= steps; s++) this.record(run, s);
    run.summary = { ...run.summary, state, step: steps, totalSteps: Math.max(steps, run.summary.totalSteps) };
    return run;
  }

  /** Advances a running run by `steps`, emitting one `metrics` event per step. */
  tick(runId: string, steps = 1): void {
    const run = this.get(runId);
    if (run.summary.state !== 'running') return;
    for (let i = 0; i < steps; i++) {
      const step = run.summary.step + 1;
      const record = this.record(run, step);
      run.summary = { ...run.summary, step };
      this.bridge.emit('metrics', { runId, records: [record] });
      if (step >= run.summary.totalSteps) {
        this.setState(run, 'finished');
        return;
      }
    }
  }

  setState(run: FakeRun, state: RunState, message?: string): void {
    run.summary = { ...run.summary, state };
    this.bridge.emit('state', message === undefined ? { run: run.summary } : { run: run.summary, message });
  }

  private record(run: FakeRun, step: number): MetricsRecord {
    const record = fakeRecord(run, step, this.clock);
    this.clock += this.msPerStep;
    run.metrics.push(record);
    return record;
  }

  private createRun(preset: PresetName, overrides: CommandArgs<'startTraining'>['overrides']): FakeRun {
    const config = resolveRunConfig(preset, overrides);
    const runId = `run-${this.nextRun++}`;
    const run: FakeRun = {
      summary: { runId, runDir: `runs/${runId}`, preset, data: config.data, state: 'running', step: 0, totalSteps: config.train.steps, backend: 'wasm' },
      config,
      layers: layersFor(config),
      metrics: [],
    };
    this.runs.set(runId, run);
    return run;
  }

  private startTraining({ preset, overrides }: CommandArgs<'startTraining'>) {
    const run = this.createRun(preset, overrides);
    this.bridge.emit('state', { run: run.summary });
    return { run: run.summary, layers: run.layers, config: run.config };
  }

  private datasetInfo({ data, examples }: CommandArgs<'datasetInfo'>) {
    const spec = parseDataSpec(data);
    if (spec.format === 'toy') {
      const points: number[] = [];
      for (let i = 0; i < 400; i++) {
        const t = (i / 400) * Math.PI;
        const upper = i % 2 === 0;
        points.push(upper ? Math.cos(t) : 1 - Math.cos(t), upper ? Math.sin(t) : 0.5 - Math.sin(t));
      }
      return { name: spec.toy, spec: data, format: 'toy', trainCount: 20_000, testCount: 5_000, shape: [2], bits: 0, warnings: [], examples: [], points };
    }
    if (spec.path.includes('missing')) throw new Error(`no dataset at ${spec.path}: folder not found`);
    const preset = Object.values(PRESETS).find((p) => p.defaultData.startsWith(`${spec.format}:`));
    const shape = spec.format === 'folder' ? [spec.options.size ?? 64, spec.options.size ?? 64, 3] : [...(preset?.model.inputShape ?? [28, 28, 1])];
    return {
      name: spec.format,
      spec: data,
      format: spec.format,
      trainCount: 60_000,
      testCount: 10_000,
      shape,
      bits: spec.options.bits ?? 8,
      warnings: [],
      examples: Array.from({ length: examples }, (_, index) => ({ index, label: index % 10, png: patternPng(shape[0]! > 32 ? 32 : shape[0]!, shape[1]! > 32 ? 32 : shape[1]!, index) })),
    };
  }
}
