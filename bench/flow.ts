/**
 * Flow throughput on one tfjs backend (a benchmark, not a test): images (or points) per
 * second of a full optimisation step and of sampling, per preset, and peak memory. Run by
 * bench/run.ts once per backend in a fresh process (`tsx bench/flow.ts <backend>`), which
 * prints one JSON line. The wasm thread count is FLOWSTUDIO_THREADS (default 1).
 * `--case preset:batch:steps` (repeatable) replaces the backend's default cases; `--no-sample`
 * skips sampling (bench/device.sh uses both). Training runs as the CLI trains: on a CPU backend,
 * data-parallel workers (FLOWSTUDIO_WORKERS, default every core) and the preset's memory mode.
 */
import { type ModelConfig, PRESETS, type PresetName, memoryModeOf, resolveRunConfig } from '../src-shared/config';
import { lossUnit } from '../src-shared/lossUnit';
import type { BackendName } from '../src-shared/protocol';
import { backendInfo, initBackend } from '../src-main/engine/backend';
import { createFlowModel } from '../src-main/engine/flow/model';
import { dequantizeTensor } from '../src-main/engine/flow/units';
import { sampleImages } from '../src-main/engine/runs/inference';
import { tf } from '../src-main/engine/tf';
import { Adamax } from '../src-main/engine/train/adamax';
import { optimisationStep } from '../src-main/engine/train/step';
import { startDataParallel } from '../src-main/engine/runs/dataParallelRun';

interface Case {
  preset: PresetName;
  batch: number;
  steps: number;
  samples: number;
}

/** Sizes that finish in minutes on 2 CPU cores; on a GPU the paper's batch sizes apply. */
const CASES: Record<BackendName, Case[]> = {
  wasm: [
    { preset: 'toy2d', batch: 256, steps: 5, samples: 4096 },
    { preset: 'fashion-mnist-small', batch: 16, steps: 4, samples: 16 },
    { preset: 'fashion-mnist-small', batch: 64, steps: 3, samples: 16 },
    { preset: 'paper-cifar10', batch: 4, steps: 2, samples: 4 },
  ],
  // A GPU's sizes (bench/device.sh); on a software adapter pass smaller --case values.
  webgpu: [
    { preset: 'fashion-mnist-small', batch: 16, steps: 10, samples: 16 },
    { preset: 'fashion-mnist-small', batch: 64, steps: 10, samples: 64 },
    { preset: 'paper-cifar10', batch: 64, steps: 5, samples: 16 },
    { preset: 'paper-celebahq1024', batch: 4, steps: 3, samples: 1 },
  ],
  cpu: [
    { preset: 'toy2d', batch: 256, steps: 3, samples: 4096 },
    { preset: 'fashion-mnist-small', batch: 16, steps: 2, samples: 16 },
  ],
  tensorflow: [
    { preset: 'toy2d', batch: 256, steps: 10, samples: 4096 },
    { preset: 'fashion-mnist-small', batch: 64, steps: 10, samples: 64 },
    { preset: 'paper-cifar10', batch: 64, steps: 5, samples: 64 },
  ],
};

function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

function randomInput(model: ModelConfig, n: number, seed: number): tf.Tensor {
  if (lossUnit(model) === 'nats') return tf.randomNormal([n, ...model.inputShape], 0, 1, 'float32', seed);
  return tf.tidy(() => dequantizeTensor(tf.floor(tf.randomUniform([n, ...model.inputShape], 0, 2 ** model.bits, 'float32', seed)), model.bits, seed + 1));
}

async function benchCase(c: Case, peak: { rss: number; tfBytes: number }, sample: boolean): Promise<object> {
  const config = PRESETS[c.preset].model;
  const model = createFlowModel(config, { seed: 1 });
  const optimizer = new Adamax(PRESETS[c.preset].train.adamax);
  // Trained as the CLI and the app train: data-parallel workers on a CPU backend (FLOWSTUDIO_WORKERS).
  const run = resolveRunConfig(c.preset, { train: { batchSize: c.batch } });
  const parallel = startDataParallel(run, 1);
  await parallel?.whenReady();
  const track = (): void => {
    peak.rss = Math.max(peak.rss, process.memoryUsage().rss);
    peak.tfBytes = Math.max(peak.tfBytes, tf.memory().numBytes);
  };
  const stepSeconds: number[] = [];
  for (let i = 0; i <= c.steps; i++) {
    const x = randomInput(config, c.batch, i);
    const started = performance.now();
    await optimisationStep({ model, config, optimizer, x, lr: 1e-4, withDiagnostics: false, memory: memoryModeOf(run), gradients: parallel?.compute });
    if (i > 0) stepSeconds.push((performance.now() - started) / 1000); // step 0 warms up kernels
    x.dispose();
    track();
  }
  let sampling: number | null = null;
  if (sample && lossUnit(config) === 'bpd') {
    const times: number[] = [];
    for (let i = 0; i < 3; i++) {
      const started = performance.now();
      const images = sampleImages(model, c.samples, 0.9, i);
      await images.data();
      images.dispose();
      times.push((performance.now() - started) / 1000);
      track();
    }
    sampling = c.samples / median(times.slice(1));
  } else if (sample) {
    const started = performance.now();
    const points = tf.tidy(() => model.inverse(model.sampleLatents(c.samples, 1, 0)));
    await points.data();
    points.dispose();
    sampling = c.samples / ((performance.now() - started) / 1000);
  }
  const workers = parallel?.size ?? 1;
  await parallel?.close();
  optimizer.dispose();
  model.dispose();
  const seconds = median(stepSeconds);
  return {
    preset: c.preset,
    batch: c.batch,
    workers,
    steps: stepSeconds.length,
    stepSeconds: Number(seconds.toFixed(3)),
    trainImagesPerSecond: Number((c.batch / seconds).toFixed(2)),
    sampleImagesPerSecond: sampling === null ? null : Number(sampling.toFixed(2)),
  };
}

/** `--case preset:batch:steps` → a Case (sampling as many images as the batch, at most 16). */
function parseCase(text: string): Case {
  const [preset, batch, steps] = text.split(':');
  if (!preset || !(preset in PRESETS)) throw new Error(`--case ${text}: unknown preset (one of ${Object.keys(PRESETS).join(', ')})`);
  const b = Number(batch);
  const n = Number(steps ?? '3');
  if (!Number.isInteger(b) || b < 1 || !Number.isInteger(n) || n < 1) throw new Error(`--case ${text}: expected preset:batch:steps with whole numbers ≥ 1`);
  return { preset: preset as PresetName, batch: b, steps: n, samples: Math.min(b, 16) };
}

async function main(): Promise<void> {
  const [name, ...rest] = process.argv.slice(2) as [BackendName | undefined, ...string[]];
  if (name !== 'wasm' && name !== 'cpu' && name !== 'tensorflow' && name !== 'webgpu') {
    throw new Error('usage: tsx bench/flow.ts wasm|cpu|tensorflow|webgpu [--case preset:batch:steps]... [--no-sample]');
  }
  const cases: Case[] = [];
  for (let i = 0; i < rest.length; i++) if (rest[i] === '--case') cases.push(parseCase(rest[++i] ?? ''));
  const sample = !rest.includes('--no-sample');
  await initBackend(name);
  const peak = { rss: 0, tfBytes: 0 };
  const results = [];
  for (const c of cases.length > 0 ? cases : CASES[name]) {
    // A case that cannot run here (memory, a kernel the backend lacks) is reported, not fatal.
    results.push(await benchCase(c, peak, sample).catch((error: unknown) => ({ preset: c.preset, batch: c.batch, error: String(error instanceof Error ? error.message : error).slice(0, 300) })));
  }
  const info = backendInfo();
  const device = { ...(info.threads !== undefined ? { threads: info.threads } : {}), ...(info.adapter ? { adapter: info.adapter } : {}) };
  process.stdout.write(
    `${JSON.stringify({ backend: info.active, package: info.package, ...device, results, peakRssMiB: Math.round(peak.rss / 2 ** 20), peakTensorMiB: Math.round(peak.tfBytes / 2 ** 20) })}\n`,
  );
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
