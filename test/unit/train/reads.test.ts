/**
 * Host reads on the training, sampling and encoding paths, counted by wrapping the engine's and
 * the active backend's read methods (every Tensor.data / dataSync / arraySync goes through
 * them): at most one per training step (with and without diagnostics), one per sampling call,
 * one per encode → decode. And a non-finite step never reaches the weights: after a step whose
 * loss is NaN the weights and the optimiser state are bit-identical, and the next step equals
 * the first step of an optimiser that never saw the NaN.
 */
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type ModelConfig, PRESETS } from '../../../src-shared/config';
import { initBackend } from '../../../src-main/engine/backend';
import { type MultiScaleFlow, createFlowModel } from '../../../src-main/engine/flow/model';
import { dequantizeTensor } from '../../../src-main/engine/flow/units';
import { decodeEdited, encodeLatents, sampleChunkSize, sampleImagesInChunks, toDisplayPixels } from '../../../src-main/engine/runs/inference';
import { tf } from '../../../src-main/engine/tf';
import { Adamax } from '../../../src-main/engine/train/adamax';
import { optimisationStep } from '../../../src-main/engine/train/step';

/** fashion-mnist-small's architecture on 8×8 images, so a step takes well under a second. */
const imageConfig: ModelConfig = { ...PRESETS['fashion-mnist-small'].model, inputShape: [8, 8, 1], coupling: { network: 'convnet', hidden: 8, mixtures: 2 } };
const adamax = PRESETS['fashion-mnist-small'].train.adamax;

/**
 * Counts the reads of tensor data while `f` runs: at the engine, every Tensor.data / dataSync /
 * arraySync (`reads`); at the active backend, its asynchronous `read` (`backendReads`). Not the
 * backend's readSync: on cpu and wasm the kernels themselves call it on host memory (Slice,
 * SplitV, Unpack read their input that way), which is no device→host transfer.
 */
async function countReads<T>(f: () => Promise<T>): Promise<{ result: T; reads: number; backendReads: number }> {
  type Readable = Record<string, (...args: unknown[]) => unknown>;
  const counts = { engine: 0, backend: 0 };
  const restore: (() => void)[] = [];
  const wrap = (target: Readable, methods: string[], key: keyof typeof counts) => {
    for (const method of methods) {
      const original = target[method]!;
      target[method] = function (this: unknown, ...args: unknown[]) {
        counts[key] += 1;
        return original.apply(this, args);
      };
      restore.push(() => {
        target[method] = original;
      });
    }
  };
  wrap(tf.engine() as unknown as Readable, ['read', 'readSync'], 'engine');
  wrap(tf.backend() as unknown as Readable, ['read'], 'backend');
  try {
    const result = await f();
    return { result, reads: counts.engine, backendReads: counts.backend };
  } finally {
    for (const r of restore) r();
  }
}

function imageBatch(config: ModelConfig, n: number, seed: number): tf.Tensor {
  return tf.tidy(() => dequantizeTensor(tf.floor(tf.randomUniform([n, ...config.inputShape], 0, 2 ** config.bits, 'float32', seed)), config.bits, seed + 1));
}

const models: MultiScaleFlow[] = [];
afterEach(() => {
  for (const m of models.splice(0)) m.dispose();
});

function model(config: ModelConfig, seed = 1): MultiScaleFlow {
  const m = createFlowModel(config, { seed });
  models.push(m);
  return m;
}

for (const backend of ['wasm', 'cpu'] as const) {
  describe(`host reads on ${backend}`, () => {
    beforeAll(async () => {
      await initBackend(backend);
    });

    it('a training step reads once, with and without diagnostics, and its diagnostics are the model\'s own', async () => {
      const m = model(imageConfig);
      const optimizer = new Adamax(adamax);
      const x = imageBatch(imageConfig, 4, 3);
      // Warm-up (kernels, optimiser slots), then count.
      await optimisationStep({ model: m, config: imageConfig, optimizer, x, lr: 1e-3, withDiagnostics: false });
      const plain = await countReads(() => optimisationStep({ model: m, config: imageConfig, optimizer, x, lr: 1e-3, withDiagnostics: false }));
      expect(plain.reads).toBe(1);
      expect(plain.backendReads).toBe(1);
      expect(plain.result.finite).toBe(true);
      expect(plain.result.layerLogdet).toBeUndefined();
      // The slopes the step reports are those of the parameters its loss saw (before the update).
      const before = m.activationMaxSlopes();
      const beforeTrace = tf.tidy(() => m.forward(x, { trace: true }).trace!.logdet.map((t) => t.dataSync()[0]!));
      const diag = await countReads(() => optimisationStep({ model: m, config: imageConfig, optimizer, x, lr: 1e-3, withDiagnostics: true }));
      expect(diag.reads).toBe(1);
      expect(diag.backendReads).toBe(1);
      const stats = diag.result;
      expect(stats.layerLogdet).toHaveLength(m.layers.length);
      expect(stats.layerVariance).toHaveLength(m.layers.length);
      stats.layerLogdet!.forEach((v, i) => expect(v).toBeCloseTo(beforeTrace[i]!, 3));
      expect(stats.layerVariance!.every((v) => v > 0)).toBe(true);
      expect(stats.activationMaxSlope).toHaveLength(before.length);
      stats.activationMaxSlope!.forEach((v, i) => expect(v).toBeCloseTo(before[i]!, 6));
      x.dispose();
      optimizer.dispose();
    });

    it('a sampling call and an encode → decode read once', async () => {
      const m = model(imageConfig);
      tf.tidy(() => m.variables.forEach((v, i) => v.assign(tf.add(v, tf.randomNormal(v.shape, 0, 0.02, 'float32', i)))));
      const warm = await sampleImagesInChunks(m, 2, 0.7, 1);
      await toDisplayPixels(warm, imageConfig.bits);
      warm.dispose();
      // What the sample handler runs: several chunks (each a yield point), then one PNG's pixels.
      const n = 2 * sampleChunkSize(m.dims) + 1;
      const sampled = await countReads(async () => {
        const images = await sampleImagesInChunks(m, n, 0.7, 2);
        try {
          return await toDisplayPixels(images, imageConfig.bits);
        } finally {
          images.dispose();
        }
      });
      expect(sampled.reads).toBe(1);
      expect(sampled.backendReads).toBe(1);
      expect(sampled.result).toHaveLength(n);
      const x = imageBatch(imageConfig, 1, 5);
      const keep = m.latentShapes.map(() => ({ keep: true, temperature: 0 }));
      // What the perturb handler runs: encode, decode with every latent kept, the pixels.
      const encoded = await countReads(async () => {
        const latents = encodeLatents(m, x);
        const back = decodeEdited(m, latents, keep, 3);
        try {
          return await toDisplayPixels(back, imageConfig.bits);
        } finally {
          tf.dispose([back, ...latents]);
        }
      });
      expect(encoded.reads).toBe(1);
      expect(encoded.backendReads).toBe(1);
      // Keeping every latent reconstructs the image: the same pixels as the input's.
      const original = await toDisplayPixels(x, imageConfig.bits);
      expect(Array.from(encoded.result[0]!)).toEqual(Array.from(original[0]!));
      x.dispose();
    });

    it('a step with a NaN loss leaves weights and optimiser state bit-identical, and the next step is a first step', async () => {
      const a = model(imageConfig, 7);
      const b = model(imageConfig, 7);
      const optA = new Adamax(adamax);
      const optB = new Adamax(adamax);
      const good = imageBatch(imageConfig, 4, 11);
      const bad = tf.tidy(() => tf.mul(good, tf.scalar(Number.NaN)));
      // One good step so the optimiser slots exist and hold non-zero moments.
      await optimisationStep({ model: a, config: imageConfig, optimizer: optA, x: good, lr: 1e-3, withDiagnostics: false });
      await optimisationStep({ model: b, config: imageConfig, optimizer: optB, x: good, lr: 1e-3, withDiagnostics: false });
      const snapshot = (m: MultiScaleFlow, opt: Adamax) => [
        ...m.variables.map((v) => Array.from(v.dataSync())),
        ...Object.values(opt.state(m.variables, m.parameterNames)).map((t) => Array.from(t.dataSync())),
      ];
      const beforeNaN = snapshot(a, optA);
      const nan = await optimisationStep({ model: a, config: imageConfig, optimizer: optA, x: bad, lr: 1e-3, withDiagnostics: true });
      expect(nan.finite).toBe(false);
      expect(Number.isNaN(nan.loss)).toBe(true);
      expect(snapshot(a, optA)).toEqual(beforeNaN);
      expect(optA.iterations).toBe(1);
      // The refused step is as if it never happened: the next step equals b's second step bit for bit.
      await optimisationStep({ model: a, config: imageConfig, optimizer: optA, x: good, lr: 1e-3, withDiagnostics: false });
      await optimisationStep({ model: b, config: imageConfig, optimizer: optB, x: good, lr: 1e-3, withDiagnostics: false });
      expect(snapshot(a, optA)).toEqual(snapshot(b, optB));
      expect(optA.iterations).toBe(2);
      tf.dispose([good, bad]);
      optA.dispose();
      optB.dispose();
    });

    it('keeps the tensor count flat across steps', async () => {
      const m = model(imageConfig);
      const optimizer = new Adamax(adamax);
      const x = imageBatch(imageConfig, 2, 9);
      await optimisationStep({ model: m, config: imageConfig, optimizer, x, lr: 1e-3, withDiagnostics: true });
      const count = tf.memory().numTensors;
      for (let i = 0; i < 3; i++) await optimisationStep({ model: m, config: imageConfig, optimizer, x, lr: 1e-3, withDiagnostics: i % 2 === 0 });
      expect(tf.memory().numTensors).toBe(count);
      x.dispose();
      optimizer.dispose();
    });
  });
}
