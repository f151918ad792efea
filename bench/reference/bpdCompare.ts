/**
 * The test-bpd half of `npm run bench -- --reference`: for each of `runs` seeds (`firstSeed`, firstSeed + 1, ...; 100 by default)
 * both sides train `steps` steps at batch 16 from the engine's initial weights and report the
 * mean bpd of the first `evalN` test images.
 *  - `same` (default): the engine records every dequantised input it trains and evaluates on
 *    (engineTrain.ts, record) and torch trains and evaluates on exactly those (train.py
 *    --stream), so the difference is implementation and float32 rounding only;
 *  - `independent`: each side draws its own data order and dequantisation noise (numpy and
 *    torch generators), so the comparison is statistical over seeds.
 */
import type { RunConfig } from '../../src-shared/config';
import { trainEngine, initialWeights } from './engineTrain';
import { writeTensorFolder } from './tensors';
import { runTorch } from './torchRun';

export type StreamMode = 'same' | 'independent';

export interface BpdOptions {
  steps: number;
  runs: number;
  /** Seeds firstSeed, firstSeed + 1, ... (default 100: compare.ts --first-seed). */
  firstSeed: number;
  evalN: number;
  streams: StreamMode;
  torchThreads: number;
}

const round4 = (v: number): number => Number(v.toFixed(4));
const precise = (v: number): number => Number(v.toPrecision(3));
const mean = (v: number[]): number => v.reduce((a, b) => a + b, 0) / Math.max(1, v.length);

export async function compareBpd(dir: string, config: RunConfig, o: BpdOptions): Promise<{ summary: object; torch: { version: string; threads: number } }> {
  const batch = 16;
  const perSeed: object[] = [];
  const differences: number[] = [];
  const engineBpd: number[] = [];
  const torchBpd: number[] = [];
  const same = o.streams === 'same';
  const torch = { version: '', threads: 0 };
  for (let run = 0; run < o.runs; run++) {
    const seed = o.firstSeed + run;
    const params = await initialWeights(config, seed);
    const e = await trainEngine(config, { seed, batch, steps: o.steps, evalN: o.evalN, record: same });
    // One folder per seed: the weights, and in `same` mode every input the engine used.
    writeTensorFolder(dir, same ? [...params, ...e.inputs!] : params, { model: config.model, train: config.train });
    const t = runTorch(dir, { batch, steps: o.steps, evalN: o.evalN, seed, threads: o.torchThreads, stream: same });
    torch.version = t.torch;
    torch.threads = t.threads;
    engineBpd.push(e.testBpd!);
    torchBpd.push(t.testBpd!);
    differences.push(e.testBpd! - t.testBpd!);
    const trainLossMaxDifference = t.losses ? Math.max(...t.losses.map((l, i) => Math.abs(l - e.losses[i]!))) : undefined;
    perSeed.push({
      seed,
      engineTestBpd: round4(e.testBpd!),
      torchTestBpd: round4(t.testBpd!),
      difference: precise(e.testBpd! - t.testBpd!),
      engineLastTrainBpd: round4(e.lastLoss),
      torchLastTrainBpd: round4(t.lastLoss),
      ...(trainLossMaxDifference !== undefined ? { trainLossMaxDifference: precise(trainLossMaxDifference) } : {}),
      engineNonFiniteSteps: e.nonFiniteSteps,
      engineWorkers: e.workers,
    });
  }
  const summary = {
    streams: o.streams,
    evalInputs: same ? 'the engine’s dequantised test inputs, on both sides' : 'each side its own dequantisation noise',
    batch,
    steps: o.steps,
    evalN: o.evalN,
    runs: o.runs,
    perSeed,
    engineMean: round4(mean(engineBpd)),
    torchMean: round4(mean(torchBpd)),
    meanDifference: precise(mean(differences)),
    maxAbsDifference: precise(Math.max(...differences.map(Math.abs))),
  };
  return { summary, torch };
}
