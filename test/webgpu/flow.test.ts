/**
 * The paths that used to read synchronously, now on webgpu (which cannot) against wasm: the RQ
 * activation (bin search and picks on the device, forward, inverse and gradients), the
 * invertible convolution's inverse (W⁻¹ on the device), a few whole training steps of a small
 * fashion-mnist-small-shaped model (losses, gradient norms and diagnostics equal to 1e-3 relative,
 * one read per step), and sampling and encoding → decoding of the same model.
 */
import { describe, expect, it } from 'vitest';
import { type ModelConfig, PRESETS } from '../../src-shared/config';
import { InvertibleConv } from '../../src-main/engine/flow/layers/invConv';
import { sumAll } from '../../src-main/engine/ops/sum';
import { createFlowModel } from '../../src-main/engine/flow/model';
import { dequantizeTensor } from '../../src-main/engine/flow/units';
import { decodeEdited, encodeLatents, sampleImagesInChunks } from '../../src-main/engine/runs/inference';
import { type Tensor, tf } from '../../src-main/engine/tf';
import { Adamax } from '../../src-main/engine/train/adamax';
import { type StepStats, optimisationStep } from '../../src-main/engine/train/step';
import { perturb } from '../unit/flow/helpers';
import { makeLayer, randomize } from '../unit/flow/rqHelpers';
import { expectRelativelyClose, onWasmAndWebgpu, startWebgpu, webgpuSuiteName } from './compare';

const gpu = await startWebgpu();
const REL = 1e-4;

const model: ModelConfig = {
  ...PRESETS['fashion-mnist-small'].model,
  inputShape: [8, 8, 1],
  coupling: { network: 'convnet', hidden: 8, mixtures: 2 },
};

function images(n: number, seed: number): Tensor {
  return tf.tidy(() => dequantizeTensor(tf.floor(tf.randomUniform([n, ...model.inputShape], 0, 2 ** model.bits, 'float32', seed)), model.bits, seed + 1));
}

describe.skipIf(gpu.skip)(webgpuSuiteName('the flow on webgpu equals wasm', gpu), () => {
  it('sums many tensors exactly (tf.addN binds one buffer per input and goes wrong past 7)', async () => {
    await tf.setBackend('webgpu');
    for (const n of [2, 3, 8, 150]) {
      const xs = Array.from({ length: n }, (_, i) => tf.fill([2, 3], i + 1));
      const total = sumAll(xs);
      expect(Array.from(await total.data())).toEqual(Array<number>(6).fill((n * (n + 1)) / 2));
      tf.dispose([...xs, total]);
    }
  });

  for (const variant of ['paper', 'strict'] as const) {
    it(`RQ activation (${variant}): forward, log-det, inverse and gradients`, async () => {
      const { wasm, webgpu } = await onWasmAndWebgpu(
        () => {
          const layer = makeLayer({ channels: 3, variant, bins: 8 });
          randomize(layer, 7, { x: 0.8, y: 1, a: 1, logW: 0.2 });
          // Values in the box, in both tails and beyond ±T.
          const x = tf.concat([tf.mul(tf.randomNormal([2, 4, 4, 3], 0, 1, 'float32', 3), 2), tf.fill([1, 4, 4, 3], 2e5), tf.fill([1, 4, 4, 3], -50)]);
          return { layer, x };
        },
        ({ layer, x }) => {
          const { y, logdet } = layer.forward(x);
          const back = layer.inverse(y);
          const { grads } = tf.variableGrads(() => {
            const pass = layer.forward(x);
            return tf.sub(tf.mul(tf.mean(tf.square(pass.y)), 0.5), tf.mean(pass.logdet)) as tf.Scalar;
          }, [...layer.variables] as tf.Variable[]);
          return [y, logdet, back.x, back.logdet, x.clone(), ...layer.variables.map((v) => grads[v.name]!)];
        },
        ({ layer, x }) => {
          layer.dispose();
          x.dispose();
        },
      );
      const names = ['y', 'log-det', 'inverse(y)', 'inverse log-det'];
      names.forEach((name, i) => expectRelativelyClose(webgpu[i]!, wasm[i]!, REL, name));
      expectRelativelyClose(webgpu[2]!, webgpu[4]!, REL, 'inverse(forward(x)) − x on webgpu');
      for (let i = 5; i < wasm.length; i++) {
        expect(wasm[i]!.some((v) => v !== 0)).toBe(true);
        expectRelativelyClose(webgpu[i]!, wasm[i]!, 1e-3, `gradient of variable ${i - 5}`);
      }
    });
  }

  it('invertible convolution: W⁻¹ and the inverse on the device', async () => {
    let counter = 0;
    const { wasm, webgpu } = await onWasmAndWebgpu(
      () => {
        const layer = new InvertibleConv({ descriptor: { name: 'L1.B1.conv', level: 0, block: 0, kind: 'conv' }, channels: 12, kernel: 2, kappa: 1.1, variablePrefix: `webgpu-inv-${++counter}/` });
        perturb(layer.variables, 0.1, 5);
        return { layer, x: tf.randomNormal([2, 4, 4, 12], 0, 1, 'float32', 4) };
      },
      ({ layer, x }) => {
        const { y } = layer.forward(x);
        const back = layer.inverse(y);
        return [layer.inverseWeight(), back.x, back.logdet, x.clone(), y];
      },
      ({ layer, x }) => {
        layer.dispose();
        x.dispose();
      },
    );
    expectRelativelyClose(webgpu[0]!, wasm[0]!, REL, 'W⁻¹ (n = 48)');
    expectRelativelyClose(webgpu[1]!, wasm[1]!, REL, 'inverse(y)');
    expectRelativelyClose(webgpu[2]!, wasm[2]!, REL, 'inverse log-det');
    expectRelativelyClose(webgpu[1]!, webgpu[3]!, REL, 'inverse(forward(x)) − x on webgpu');
  });

  it('training steps: the same losses, gradient norms and diagnostics, one read per step', async () => {
    const stats: Record<'wasm' | 'webgpu', { steps: StepStats[]; reads: number }> = { wasm: { steps: [], reads: 0 }, webgpu: { steps: [], reads: 0 } };
    for (const backend of ['wasm', 'webgpu'] as const) {
      await tf.setBackend(backend);
      const m = createFlowModel(model, { seed: 3 });
      const optimizer = new Adamax(PRESETS['fashion-mnist-small'].train.adamax);
      const x = images(4, 9);
      const engine = tf.engine() as unknown as { read: (...args: unknown[]) => unknown };
      const read = engine.read;
      engine.read = function (this: unknown, ...args: unknown[]) {
        stats[backend].reads += 1;
        return read.apply(this, args);
      };
      try {
        for (let i = 0; i < 3; i++) stats[backend].steps.push(await optimisationStep({ model: m, config: model, optimizer, x, lr: 1e-3, withDiagnostics: i === 2 }));
      } finally {
        engine.read = read;
        x.dispose();
        optimizer.dispose();
        m.dispose();
      }
    }
    expect(stats.webgpu.reads).toBe(3);
    stats.wasm.steps.forEach((w, i) => {
      const g = stats.webgpu.steps[i]!;
      expect(g.finite).toBe(true);
      expect(Math.abs(g.loss - w.loss)).toBeLessThan(1e-3 * Math.abs(w.loss));
      expect(Math.abs(g.gradNorm - w.gradNorm)).toBeLessThan(1e-3 * w.gradNorm);
    });
    const [w, g] = [stats.wasm.steps[2]!, stats.webgpu.steps[2]!];
    expectRelativelyClose(Float32Array.from(g.layerLogdet!), Float32Array.from(w.layerLogdet!), 1e-3, 'per-layer log-det');
    expectRelativelyClose(Float32Array.from(g.activationMaxSlope!), Float32Array.from(w.activationMaxSlope!), 1e-4, "activations' max f'");
  });

  it('sampling and encode → decode', async () => {
    const { wasm, webgpu } = await onWasmAndWebgpu(
      () => {
        const m = createFlowModel(model, { seed: 4 });
        perturb(m.variables, 0.02, 6);
        return { m, x: images(2, 11) };
      },
      async ({ m, x }) => {
        const samples = await sampleImagesInChunks(m, 3, 0.7, 5);
        const latents = encodeLatents(m, x);
        const back = decodeEdited(m, latents, m.latentShapes.map(() => ({ keep: true, temperature: 0 })), 1);
        const out = [samples, ...latents, back, x.clone()];
        return out;
      },
      ({ m, x }) => {
        m.dispose();
        x.dispose();
      },
    );
    expectRelativelyClose(webgpu[0]!, wasm[0]!, 1e-3, 'samples');
    for (let i = 1; i < wasm.length - 2; i++) expectRelativelyClose(webgpu[i]!, wasm[i]!, 1e-3, `latent of level ${i}`);
    const last = wasm.length - 1;
    expectRelativelyClose(webgpu[last - 1]!, webgpu[last]!, REL, 'decode(encode(x)) − x on webgpu');
  });
});
