/**
 * `npm run bench -- --reference`: FlowStudio against its PyTorch reference (bench/reference/
 * flow.py) on this machine, printed as one JSON document:
 *  - training images/s of fashion-mnist-small at batch 16 and 64 for both, and their ratio;
 *    the two are interleaved (engine, torch, engine, torch, ... `--rounds` times) so both see
 *    the same machine load, and every round is reported beside the median;
 *  - test bpd (first `--eval-n` test images) after the same `--bpd-steps` steps at batch 16
 *    for both, from the same initial weights (the engine's, exported), for `--runs` seeds
 *    (bpdCompare.ts). `--bpd-streams same` (the default): torch trains and evaluates on the
 *    engine's recorded dequantised inputs, so what is left is implementation and float32
 *    rounding; `independent`: each side draws its own data order and noise.
 * Load average is recorded at the start and the end (the machine is shared). Not a test.
 *
 * Options: --rounds N (2; 0 skips the throughput rounds) --speed-steps N (6: the first of them warms up and is not timed)
 * --bpd-steps N (200) --runs N (2) --first-seed S (100: seeds S, S + 1, ...) --eval-n N (1000) --bpd-streams same|independent (same)
 * --torch-threads N (every core).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { availableParallelism, cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { memoryModeOf, resolveRunConfig } from '../../src-shared/config';
import { backendInfo, initBackend } from '../../src-main/engine/backend';
import { type StreamMode, compareBpd } from './bpdCompare';
import { trainEngine, writeInitialWeights } from './engineTrain';
import { FASHION_MNIST, PYTHON, referenceUnavailable } from './parity';
import { runTorch } from './torchRun';

interface Options {
  rounds: number;
  speedSteps: number;
  bpdSteps: number;
  runs: number;
  firstSeed: number;
  evalN: number;
  torchThreads: number;
  streams: StreamMode;
}

function option(args: string[], name: string, fallback: number): number {
  const at = args.indexOf(name);
  if (at < 0) return fallback;
  const value = Number(args[at + 1]);
  if (!Number.isInteger(value) || value < 0) throw new Error(`${name} needs a whole number, got "${args[at + 1] ?? ''}"`);
  return value;
}

function streamMode(args: string[]): StreamMode {
  const at = args.indexOf('--bpd-streams');
  if (at < 0) return 'same';
  const value = args[at + 1];
  if (value !== 'same' && value !== 'independent') throw new Error(`--bpd-streams is same or independent, got "${value ?? ''}"`);
  return value;
}

/** Images per second over the timed steps (the first step warms up kernels and is left out). */
function imagesPerSecond(batch: number, stepSeconds: number[]): number {
  const timed = stepSeconds.slice(1);
  const total = timed.reduce((a, b) => a + b, 0);
  return Number(((batch * timed.length) / total).toFixed(2));
}

function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

const round3 = (v: number): number => Number(v.toFixed(3));

export async function compareWithReference(args: string[]): Promise<object> {
  const why = referenceUnavailable();
  if (why) throw new Error(`--reference: the PyTorch reference cannot run here: ${why}`);
  const o: Options = {
    rounds: option(args, '--rounds', 2),
    speedSteps: Math.max(2, option(args, '--speed-steps', 6)),
    bpdSteps: option(args, '--bpd-steps', 200),
    runs: option(args, '--runs', 2),
    firstSeed: option(args, '--first-seed', 100),
    evalN: option(args, '--eval-n', 1000),
    torchThreads: option(args, '--torch-threads', availableParallelism()),
    streams: streamMode(args),
  };
  const started = Date.now();
  const loadStart = loadavg();
  await initBackend(process.env.FLOWSTUDIO_BACKEND as Parameters<typeof initBackend>[0]);
  const info = backendInfo();
  const config = resolveRunConfig('fashion-mnist-small', { data: `fashion-mnist:${FASHION_MNIST}` });
  const dir = mkdtempSync(join(tmpdir(), 'flowstudio-reference-'));
  let torchVersion = '';
  let engineWorkers = 1;
  let torchThreads = 0;
  try {
    const throughput: Record<string, object> = {};
    for (const batch of [16, 64]) {
      const engine: number[] = [];
      const torch: number[] = [];
      for (let round = 0; round < o.rounds; round++) {
        await writeInitialWeights(dir, config, round);
        const run = await trainEngine(config, { seed: round, batch, steps: o.speedSteps, evalN: 0 });
        engineWorkers = run.workers;
        engine.push(imagesPerSecond(batch, run.stepSeconds));
        const t = runTorch(dir, { batch, steps: o.speedSteps, evalN: 0, seed: round, threads: o.torchThreads });
        torchVersion = t.torch;
        torchThreads = t.threads;
        torch.push(imagesPerSecond(batch, t.stepSeconds));
      }
      if (o.rounds === 0) continue; // --rounds 0: the bpd comparison only
      const e = median(engine);
      const t = median(torch);
      throughput[`batch${batch}`] = { engineImagesPerSecond: e, torchImagesPerSecond: t, ratio: round3(e / t), rounds: { engine, torch } };
    }
    // Before the summary, so that the end load average is taken after the bpd runs.
    const bpd = o.runs > 0 ? await compareBpd(dir, config, { steps: o.bpdSteps, runs: o.runs, firstSeed: o.firstSeed, evalN: o.evalN, streams: o.streams, torchThreads: o.torchThreads }) : null;
    if (bpd) {
      torchVersion = bpd.torch.version;
      torchThreads = bpd.torch.threads;
    }
    return {
      command: `npm run bench -- ${args.join(' ')}`,
      date: new Date(started).toISOString(),
      machine: { cpus: cpus().length, cpuModel: cpus()[0]?.model ?? 'unknown', node: process.version, loadAverageStart: loadStart.map(round3), loadAverageEnd: loadavg().map(round3) },
      preset: 'fashion-mnist-small',
      engine: { backend: info.active, ...(info.threads !== undefined ? { threads: info.threads } : {}), workers: engineWorkers, memory: memoryModeOf(config) },
      torch: { version: torchVersion, threads: torchThreads, ompWaitPolicy: process.env.OMP_WAIT_POLICY ?? 'PASSIVE', python: PYTHON, dtype: 'float32', memory: 'store (autograd)' },
      throughput,
      bpd: bpd?.summary ?? null,
      seconds: Math.round((Date.now() - started) / 1000),
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
