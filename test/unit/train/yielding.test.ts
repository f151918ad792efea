/**
 * The training step's yielding recompute (recompute.ts `recomputeGradientsYielding`): it hands
 * the event loop back between blocks, and must compute exactly what the one-scope form does
 * (the same kernels in the same order: equal to the last bit), free every tensor it made and
 * did not return, and leave alone tensors other work made while it was yielding.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { type ModelConfig, PRESETS } from '../../../src-shared/config';
import { initBackend } from '../../../src-main/engine/backend';
import { createFlowModel } from '../../../src-main/engine/flow/model';
import { dequantizeTensor } from '../../../src-main/engine/flow/units';
import { tf } from '../../../src-main/engine/tf';
import { disposeGradients } from '../../../src-main/engine/train/gradients';
import { recomputeGradients, recomputeGradientsYielding } from '../../../src-main/engine/train/recompute';
import { perturb } from '../flow/helpers';

beforeAll(async () => {
  await initBackend('wasm');
});

const small: ModelConfig = { ...PRESETS['fashion-mnist-small'].model, inputShape: [8, 8, 1], coupling: { network: 'convnet', hidden: 8, mixtures: 2 } };

describe('recompute gradients, yielding between blocks', () => {
  const cases: [string, ModelConfig][] = [
    ['fashion structure at 8×8', small],
    ['with a transport cost', { ...small, ablation: { ...small.ablation, transportCost: 0.1 } }],
  ];
  for (const [name, config] of cases) {
    it(`${name}: bit-identical to the one-scope form, no tensor leaked, others' tensors kept`, async () => {
      const model = createFlowModel(config, { seed: 4 });
      perturb(model.variables, 0.02, 104);
      const x = tf.tidy(() => dequantizeTensor(tf.floor(tf.randomUniform([3, ...config.inputShape], 0, 256, 'float32', 7)), config.bits, 8));
      const plain = recomputeGradients(model, config, x, { diagnostics: true, measureDrift: false });
      const before = tf.memory().numTensors;
      const foreign: tf.Tensor[] = [];
      let turns = 0;
      const yielding = await recomputeGradientsYielding(model, config, x, { diagnostics: true, measureDrift: false }, async () => {
        turns += 1;
        // Another request's tensor, made while the walk waits: it must survive the walk.
        foreign.push(tf.ones([2]));
        await new Promise((r) => setImmediate(r));
      });
      // A turn after every block of the forward pass, after the seeds, after every backward block.
      expect(turns).toBe(2 * config.levels * config.blocksPerLevel + 1);
      expect(foreign.every((t) => !t.isDisposed)).toBe(true);
      expect(Object.keys(yielding.grads).sort()).toEqual(Object.keys(plain.grads).sort());
      for (const key of Object.keys(plain.grads)) expect(Array.from(await yielding.grads[key]!.data()), key).toEqual(Array.from(await plain.grads[key]!.data()));
      expect(await yielding.objective.data()).toEqual(await plain.objective.data());
      expect(Array.from(await yielding.layerLogdet!.data())).toEqual(Array.from(await plain.layerLogdet!.data()));
      if (plain.transport) expect(await yielding.transport!.data()).toEqual(await plain.transport.data());
      disposeGradients(yielding);
      tf.dispose(foreign);
      expect(tf.memory().numTensors).toBe(before);
      disposeGradients(plain);
      x.dispose();
      model.dispose();
    });
  }
});
