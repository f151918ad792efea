/**
 * Memory of a training step by depth, with and without inverse recomputation (a benchmark, not
 * a test), on wasm:
 * - `memoryByDepth`: fashion-mnist-small's structure (2 levels, k = 2 then 1, split ½, convnet,
 *   RQ activation) at hidden 32 and batch 32, at 4, 8, 16 and 32 blocks per level, in both
 *   modes: peak tfjs bytes (tfjs's own count, and the distinct device buffers) and peak RSS of
 *   one training step, beside the memory planner's estimate. Each case runs in a fresh process:
 *   the wasm heap never shrinks, so one process's RSS would carry the previous case's peak.
 *   (Hidden 32 and batch 32 keep `store` at 32 blocks inside wasm's 4 GiB heap.)
 * - `recomputeSpeed`: train images/s of the fashion-mnist-small preset (batch 16) in both modes;
 * - `recomputeDrift`: the largest drift of the recomputed block inputs at paper depth
 *   (paper-cifar10's 3 × 16 blocks at 8×8, paper-celebahq1024's 8 × 12 at 256² with hidden 16,
 *   parameters perturbed by 0.01 away from the identity initialisation).
 * `npm run bench` prints what `benchMemory` returns; `npx tsx bench/memory.ts` runs it alone.
 */
import { spawnSync } from 'node:child_process';
import { pathToFileURL } from 'node:url';
import { type MemoryMode, type ModelConfig, PRESETS } from '../src-shared/config';
import { initBackend } from '../src-main/engine/backend';
import { createFlowModel } from '../src-main/engine/flow/model';
import { dequantizeTensor } from '../src-main/engine/flow/units';
import { tf } from '../src-main/engine/tf';
import { Adamax } from '../src-main/engine/train/adamax';
import { recomputeDrift } from '../src-main/engine/train/gradients';
import { measurePeakMemory } from '../src-main/engine/train/memoryPeak';
import { estimateStepMemory } from '../src-main/engine/train/memoryPlan';
import { optimisationStep } from '../src-main/engine/train/step';

const DEPTHS = [4, 8, 16, 32];
const MODES: MemoryMode[] = ['recompute', 'store'];
const DEPTH_BATCH = 32;
const fashion = PRESETS['fashion-mnist-small'].model;
const depthConfig = (blocks: number): ModelConfig => ({ ...fashion, blocksPerLevel: blocks, coupling: { ...fashion.coupling, hidden: 32 } });

function imageBatch(config: ModelConfig, n: number, seed: number): tf.Tensor {
  return tf.tidy(() => dequantizeTensor(tf.floor(tf.randomUniform([n, ...config.inputShape], 0, 2 ** config.bits, 'float32', seed)), config.bits, seed + 1));
}

function perturb(variables: readonly tf.Variable[], scale: number, seed: number): void {
  variables.forEach((v, i) => tf.tidy(() => v.assign(tf.add(v, tf.randomNormal(v.shape, 0, scale, 'float32', seed * 1000 + i)))));
}

interface DepthCase {
  blocks: number;
  mode: MemoryMode;
  peakTensorBytes: number;
  peakBufferBytes: number;
  peakRssBytes: number;
  estimatedPeakBytes: number;
  stepSeconds: number;
}

/** One case, in this process (the child side). */
async function depthCase(blocks: number, mode: MemoryMode): Promise<DepthCase> {
  await initBackend('wasm');
  const config = depthConfig(blocks);
  const model = createFlowModel(config, { seed: 1 });
  const optimizer = new Adamax(PRESETS['fashion-mnist-small'].train.adamax);
  const x = imageBatch(config, DEPTH_BATCH, 1);
  // A first step makes the optimiser's slots; the second is measured (steady state).
  await optimisationStep({ model, config, optimizer, x, lr: 1e-5, withDiagnostics: false, memory: mode });
  const started = performance.now();
  const m = await measurePeakMemory(() => optimisationStep({ model, config, optimizer, x, lr: 1e-5, withDiagnostics: false, memory: mode }));
  const stepSeconds = (performance.now() - started) / 1000;
  return {
    blocks,
    mode,
    peakTensorBytes: m.peakTensorBytes,
    peakBufferBytes: m.peakBufferBytes,
    // getrusage's maximum resident set of this process so far (kB on Linux).
    peakRssBytes: process.resourceUsage().maxRSS * 1024,
    estimatedPeakBytes: Math.round(estimateStepMemory(config, DEPTH_BATCH, mode).peakBytes),
    stepSeconds: Number(stepSeconds.toFixed(2)),
  };
}

function runChild(args: string[]): unknown {
  const result = spawnSync(process.execPath, ['--import', 'tsx', import.meta.filename, ...args], {
    encoding: 'utf8',
    env: { ...process.env, FLOWSTUDIO_BACKEND: 'wasm' },
    timeout: 20 * 60 * 1000,
    maxBuffer: 16 * 2 ** 20,
  });
  if (result.status !== 0) return { failed: (result.stderr.trim().split('\n').pop() ?? 'failed').slice(0, 300) };
  return JSON.parse(result.stdout.trim().split('\n').pop()!) as unknown;
}

/** Train images/s of the fashion-mnist-small preset at batch 16 in both modes (median of 3 steps). */
async function speed(): Promise<object> {
  await initBackend('wasm');
  const config = PRESETS['fashion-mnist-small'].model;
  const batch = 16;
  const model = createFlowModel(config, { seed: 1 });
  const x = imageBatch(config, batch, 3);
  const out: Record<string, number> = {};
  for (const mode of MODES) {
    const optimizer = new Adamax(PRESETS['fashion-mnist-small'].train.adamax);
    const times: number[] = [];
    for (let i = 0; i < 4; i++) {
      const started = performance.now();
      await optimisationStep({ model, config, optimizer, x, lr: 1e-5, withDiagnostics: false, memory: mode });
      if (i > 0) times.push((performance.now() - started) / 1000); // the first warms up the kernels
    }
    optimizer.dispose();
    const median = [...times].sort((a, b) => a - b)[1]!;
    out[`${mode}ImagesPerSecond`] = Number((batch / median).toFixed(2));
    out[`${mode}StepSeconds`] = Number(median.toFixed(3));
  }
  out['recomputeTimeRatio'] = Number((out['recomputeStepSeconds']! / out['storeStepSeconds']!).toFixed(2));
  model.dispose();
  x.dispose();
  return { preset: 'fashion-mnist-small', batch, ...out };
}

/** Largest drift of the recomputed inputs at paper depth, absolute and relative to the input's scale. */
async function drift(): Promise<object[]> {
  await initBackend('wasm');
  const celeb = PRESETS['paper-celebahq1024'].model;
  const cases: [string, ModelConfig][] = [
    ['paper-cifar10 3x16 at 8x8', { ...PRESETS['paper-cifar10'].model, inputShape: [8, 8, 3] }],
    ['paper-celebahq1024 8x12 at 256x256, hidden 16', { ...celeb, inputShape: [256, 256, 3], coupling: { ...celeb.coupling, hidden: 16 } }],
  ];
  const out: object[] = [];
  for (const [name, config] of cases) {
    const model = createFlowModel(config, { seed: 4 });
    perturb(model.variables, 0.01, 104);
    const x = imageBatch(config, 2, 3);
    const blocks = await recomputeDrift(model, config, x);
    const worst = blocks.reduce((m, b) => (b.maxAbs > m.maxAbs ? b : m));
    out.push({
      config: name,
      blocks: blocks.length,
      maxAbs: worst.maxAbs,
      maxRelative: Math.max(...blocks.map((b) => b.maxAbs / Math.max(b.scale, 1e-30))),
      worstBlock: `L${worst.level + 1}.B${worst.block + 1}`,
    });
    x.dispose();
    model.dispose();
  }
  return out;
}

/** Every memory benchmark, each part in its own process. */
export function benchMemory(): Record<string, unknown> {
  const memoryByDepth = DEPTHS.flatMap((blocks) => MODES.map((mode) => runChild(['case', String(blocks), mode]) as Partial<DepthCase>));
  const recomputePeak = (blocks: number): number | undefined => memoryByDepth.find((c) => c.blocks === blocks && c.mode === 'recompute')?.peakTensorBytes;
  const [shallow, deep] = [recomputePeak(DEPTHS[0]!), recomputePeak(DEPTHS[DEPTHS.length - 1]!)];
  return {
    memoryByDepth,
    memoryByDepthSetup: { model: 'fashion-mnist-small structure, hidden 32', batch: DEPTH_BATCH, backend: 'wasm', bytes: 'peakTensorBytes: tf.memory().numBytes at its highest; peakBufferBytes: distinct buffers; peakRssBytes: the process maximum' },
    recomputePeakRatio32to4: shallow && deep ? Number((deep / shallow).toFixed(3)) : null,
    recomputeSpeed: runChild(['speed']),
    recomputeDrift: runChild(['drift']),
  };
}

async function child(args: string[]): Promise<unknown> {
  if (args[0] === 'case') {
    const mode = args[2];
    if (mode !== 'recompute' && mode !== 'store') throw new Error('usage: memory.ts case <blocks> recompute|store');
    return depthCase(Number(args[1]), mode);
  }
  if (args[0] === 'speed') return speed();
  if (args[0] === 'drift') return drift();
  return benchMemory();
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  child(process.argv.slice(2)).then(
    (result) => process.stdout.write(`${JSON.stringify(result)}\n`),
    (error: unknown) => {
      process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
      process.exit(1);
    },
  );
}
