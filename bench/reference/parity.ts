/**
 * The engine's side of the PyTorch parity check: one model's weights, one real batch, and what
 * the engine computes for them (log p per example, the gradient of the mean bpd per parameter in
 * both memory modes), written as a tensor folder (tensors.ts) for bench/reference/parity.py,
 * which computes the same in float64 with torch autograd and writes its answers beside them.
 *
 * The weights are the engine's initialisation for `seed`, then moved off it (seeded normal
 * noise): at the initialisation the coupling heads are zero and every f_act is linear, so a
 * check there would not see the networks, the Mexican hats or the spline bins at all.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { ModelConfig } from '../../src-shared/config';
import { openDataset } from '../../src-main/data';
import { createFlowModel } from '../../src-main/engine/flow/model';
import { type Tensor, tf } from '../../src-main/engine/tf';
import { disposeGradients, lossAndGradients } from '../../src-main/engine/train/gradients';
import { batchToInput } from '../../src-main/engine/train/objective';
import { type NamedArray, readTensorFolder, writeTensorFolder } from './tensors';

export const PYTHON = process.env.FLOWSTUDIO_PYTHON ?? '/usr/bin/python3';
export const FASHION_MNIST = '/usr/share/datasets/fashion-mnist';

export interface ParityCase {
  config: ModelConfig;
  seed: number;
  batch: number;
  /** Std of the noise added to every parameter; the activations' θ get `activationScale`. */
  scale: number;
  activationScale: number;
}

/** Why the reference cannot run here (no python, no torch, no data), or null when it can. */
export function referenceUnavailable(): string | null {
  if (!existsSync(PYTHON)) return `${PYTHON} not found (set FLOWSTUDIO_PYTHON, or apt-get install python3-torch)`;
  const probe = spawnSync(PYTHON, ['-c', 'import torch, numpy; print(torch.__version__)'], { encoding: 'utf8', timeout: 120_000 });
  if (probe.status !== 0) return `${PYTHON} has no torch/numpy (apt-get install python3-torch): ${(probe.stderr || '').trim().split('\n').pop() ?? ''}`;
  if (!existsSync(join(FASHION_MNIST, 't10k-images-idx3-ubyte.gz'))) return `Fashion-MNIST not found under ${FASHION_MNIST} (apt-get install dataset-fashion-mnist)`;
  return null;
}

async function read(t: Tensor): Promise<Float32Array> {
  return (await t.data()) as Float32Array;
}

/** Writes the case to `dir` (weights, batch, engine answers). Call after initBackend. */
export async function writeParityCase(dir: string, c: ParityCase): Promise<void> {
  const model = createFlowModel(c.config, { seed: c.seed });
  const dataset = await openDataset(`fashion-mnist:${FASHION_MNIST}`);
  try {
    model.variables.forEach((v, i) => {
      const scale = model.parameterNames[i]!.includes('.act/theta') ? c.activationScale : c.scale;
      tf.tidy(() => v.assign(tf.add(v, tf.randomNormal(v.shape, 0, scale, 'float32', c.seed * 7919 + i))));
    });
    const iterator = dataset.batches('test', { batchSize: c.batch, seed: 0, shuffle: false, epochs: 1, limit: c.batch })[Symbol.asyncIterator]();
    const first = await iterator.next();
    if (first.done) throw new Error('parity: the test split is empty');
    const x = batchToInput(first.value, c.config, c.seed);
    const arrays: NamedArray[] = [{ name: 'x', shape: x.shape, data: await read(x) }];
    for (let i = 0; i < model.variables.length; i++) {
      arrays.push({ name: `param:${model.parameterNames[i]}`, shape: model.variables[i]!.shape, data: await read(model.variables[i]!) });
    }
    const logp = model.logProb(x);
    arrays.push({ name: 'engine:logp', shape: logp.shape, data: await read(logp) });
    logp.dispose();
    for (const memory of ['store', 'recompute'] as const) {
      const result = lossAndGradients(model, c.config, x, { memory, diagnostics: false });
      arrays.push({ name: `engine:${memory}:loss`, shape: [1], data: await read(result.objective) });
      for (let i = 0; i < model.variables.length; i++) {
        const g = result.grads[model.variables[i]!.name];
        if (g) arrays.push({ name: `engine:${memory}:grad:${model.parameterNames[i]}`, shape: g.shape, data: await read(g) });
      }
      disposeGradients(result);
    }
    x.dispose();
    writeTensorFolder(dir, arrays, { config: c.config });
  } finally {
    model.dispose();
    await dataset.close();
  }
}

/** Runs parity.py on a case folder; returns torch's answers (`torch:logp`, `torch:loss`, `torch:grad:<name>`). */
export function runTorchParity(dir: string): Map<string, NamedArray> {
  const result = spawnSync(PYTHON, [join(import.meta.dirname, 'parity.py'), dir], { encoding: 'utf8', timeout: 10 * 60 * 1000 });
  if (result.status !== 0) throw new Error(`parity.py failed (${result.status}): ${result.stderr.trim().slice(-2000)}`);
  return readTensorFolder(join(dir, 'torch')).arrays;
}

/** ‖a − b‖ / ‖b‖ (b the reference). */
export function relativeError(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new Error(`relativeError: lengths ${a.length} and ${b.length} differ`);
  let diff = 0;
  let norm = 0;
  for (let i = 0; i < a.length; i++) {
    diff += (a[i]! - b[i]!) ** 2;
    norm += b[i]! ** 2;
  }
  return Math.sqrt(diff) / Math.max(Math.sqrt(norm), 1e-30);
}
