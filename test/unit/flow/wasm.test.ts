/**
 * Training on wasm: the gradient of a whole fashion-mnist-small loss needs no kernel wasm lacks
 * (Conv2DBackpropFilter, UnsortedSegmentSum, Einsum), is finite for every variable, and agrees
 * with the same gradient computed on cpu.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PRESETS } from '../../../src-shared/config';
import { initBackend } from '../../../src-main/engine/backend';
import { type MultiScaleFlow, createFlowModel } from '../../../src-main/engine/flow/model';
import { bitsPerDim, dequantize } from '../../../src-main/engine/flow/units';
import { tf } from '../../../src-main/engine/tf';
import { perturb } from './helpers';

let model: MultiScaleFlow;
beforeAll(async () => {
  await initBackend('wasm');
  model = createFlowModel(PRESETS['fashion-mnist-small'].model, { seed: 4 });
  perturb(model.variables, 0.02, 41);
});
afterAll(() => model.dispose());

function gradients(): { loss: number; grads: Map<string, Float32Array> } {
  const pixels = Array.from({ length: 2 * 784 }, (_, i) => (i * 37 + (i >> 5) * 11) % 256);
  const x = dequantize(pixels, [2, 28, 28, 1], 8, 5);
  const { value, grads } = tf.variableGrads(
    () => tf.mean(bitsPerDim(model.logProb(x), model.dims, 8)) as tf.Scalar,
    [...model.variables],
  );
  const out = new Map<string, Float32Array>();
  for (const [name, g] of Object.entries(grads)) out.set(name, g.dataSync() as Float32Array);
  const loss = value.dataSync()[0]!;
  tf.dispose([x, value, Object.values(grads)]);
  return { loss, grads: out };
}

describe('fashion-mnist-small gradient on wasm', () => {
  it('is finite for every variable and matches cpu', async () => {
    expect(tf.getBackend()).toBe('wasm');
    const before = tf.memory().numTensors;
    const wasm = gradients();
    expect(tf.memory().numTensors).toBe(before);
    expect(Number.isFinite(wasm.loss)).toBe(true);
    // Every variable takes part in the loss.
    expect([...wasm.grads.keys()].sort()).toEqual(model.variables.map((v) => v.name).sort());
    let nonzero = 0;
    for (const g of wasm.grads.values()) {
      for (const v of g) expect(Number.isFinite(v)).toBe(true);
      if (g.some((v) => v !== 0)) nonzero++;
    }
    // Every variable has some non-zero entry (the packed LU's unused diagonal is all zero, but
    // it shares its variable with L and U).
    expect(nonzero).toBe(model.variables.length);

    await tf.setBackend('cpu');
    const cpu = gradients();
    await tf.setBackend('wasm');
    expect(Math.abs(cpu.loss - wasm.loss)).toBeLessThan(1e-5 * Math.abs(cpu.loss));
    for (const [name, g] of cpu.grads) {
      const w = wasm.grads.get(name)!;
      const scale = Math.max(...g.map(Math.abs));
      const diff = Math.max(...g.map((v, i) => Math.abs(v - w[i]!)));
      expect(diff, name).toBeLessThanOrEqual(1e-3 * scale + 1e-9);
    }
  });
});
