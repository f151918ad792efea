/**
 * The flow's layers on webgpu (Dawn; lavapipe in CI) against wasm: the invertible k×k
 * convolution and the dual affine coupling (ConvNet and ResNet-SE networks), forward outputs,
 * log-dets, the coupling's inverse, and the gradients of every variable, equal to 1e-4
 * relative. Kept small: a software adapter runs about ten times slower than wasm.
 *
 * The RQ activation, the convolution's inverse, whole training steps, sampling and encoding
 * (which used to read synchronously) are in flow.test.ts.
 */
import { describe, expect, it } from 'vitest';
import type { CouplingNetwork } from '../../src-shared/config';
import { blockInitialization } from '../../src-main/engine/flow/init';
import { DualAffineCoupling } from '../../src-main/engine/flow/layers/coupling';
import { InvertibleConv } from '../../src-main/engine/flow/layers/invConv';
import type { Bijection } from '../../src-main/engine/flow/types';
import { type Tensor, tf } from '../../src-main/engine/tf';
import { perturb } from '../unit/flow/helpers';
import { expectRelativelyClose, onWasmAndWebgpu, startWebgpu, webgpuSuiteName } from './compare';

const gpu = await startWebgpu();
const REL = 1e-4;

let counter = 0;
function invConv(): InvertibleConv {
  return new InvertibleConv({
    descriptor: { name: 'L1.B1.conv', level: 0, block: 0, kind: 'conv' },
    channels: 3,
    kernel: 2,
    kappa: 1.1,
    variablePrefix: `webgpu-conv-${++counter}/`,
  });
}

function coupling(network: CouplingNetwork): DualAffineCoupling {
  const init = blockInitialization(0.8, 4);
  return new DualAffineCoupling({
    descriptor: { name: `L1.B1.aff-${network}`, level: 0, block: 0, kind: 'aff' },
    channels: 4,
    network,
    hidden: 8,
    mixtures: 4,
    unconstrained: false,
    logScaleInit: init.logScale,
    mexicanHatBiases: init.mexicanHatBiases,
    seed: 3,
    variablePrefix: `webgpu-aff-${++counter}/`,
  });
}

/** A layer away from its near-identity initialisation, and an input, the same on each backend. */
function made(makeLayer: () => Bijection, shape: number[]): () => { layer: Bijection; x: Tensor } {
  return () => {
    const layer = makeLayer();
    perturb(layer.variables, 0.05, 7);
    return { layer, x: tf.randomNormal(shape, 0, 1, 'float32', 11) };
  };
}

function release({ layer, x }: { layer: Bijection; x: Tensor }): void {
  layer.dispose?.();
  x.dispose();
}

/** y, log-det, optionally inverse(y), and the gradient of ½·mean(y²) − mean(log-det) for every variable. */
function outputs(withInverse: boolean) {
  return ({ layer, x }: { layer: Bijection; x: Tensor }): Tensor[] => {
    const { y, logdet } = layer.forward(x);
    const extra: Tensor[] = [];
    if (withInverse) {
      const back = layer.inverse(y);
      back.logdet.dispose();
      extra.push(back.x, x.clone());
    }
    const { grads } = tf.variableGrads(() => {
      const pass = layer.forward(x);
      return tf.sub(tf.mul(tf.mean(tf.square(pass.y)), 0.5), tf.mean(pass.logdet)) as tf.Scalar;
    }, [...layer.variables]);
    return [y, logdet, ...extra, ...layer.variables.map((v) => grads[v.name]!)];
  };
}

function expectSame(name: string, variables: number, wasm: Float32Array[], webgpu: Float32Array[], withInverse: boolean): void {
  expectRelativelyClose(webgpu[0]!, wasm[0]!, REL, `${name} y`);
  expectRelativelyClose(webgpu[1]!, wasm[1]!, REL, `${name} log-det`);
  let next = 2;
  if (withInverse) {
    expectRelativelyClose(webgpu[2]!, wasm[2]!, REL, `${name} inverse(y)`);
    // inverse(forward(x)) = x on webgpu, x itself being the independent reference.
    expectRelativelyClose(webgpu[2]!, webgpu[3]!, REL, `${name} inverse(forward(x)) − x`);
    next = 4;
  }
  expect(webgpu.length).toBe(next + variables);
  // The gradients compared are real ones: all but structurally unused entries are non-zero.
  expect(wasm.slice(next).filter((g) => g.some((v) => v !== 0)).length).toBeGreaterThan(variables / 2);
  for (let i = next; i < webgpu.length; i++) expectRelativelyClose(webgpu[i]!, wasm[i]!, REL, `${name} gradient of variable ${i - next}`);
}

describe.skipIf(gpu.skip)(webgpuSuiteName('flow layers on webgpu equal wasm', gpu), () => {
  it('reports the adapter it runs on', () => {
    const adapter = gpu.info?.adapter;
    expect(gpu.info?.active).toBe('webgpu');
    expect(adapter?.description.length).toBeGreaterThan(0);
    expect(gpu.info?.gpu).toBe(!adapter?.software);
  });

  it('refuses a synchronous read of a GPU tensor with a message that says what to do', async () => {
    await tf.setBackend('webgpu');
    const a = tf.randomNormal([64, 64], 0, 1, 'float32', 1);
    const product = tf.matMul(a, a); // 4096 values: computed on the GPU, not handed to the CPU
    expect(() => product.dataSync()).toThrow('webgpu cannot read a tensor synchronously in Node (dataSync/arraySync): this code path must read with await tensor.data()');
    expect((await product.data()).length).toBe(4096);
    tf.dispose([a, product]);
  });

  it('invertible 2×2 convolution: forward, log-det and gradients', async () => {
    const { wasm, webgpu } = await onWasmAndWebgpu(made(invConv, [2, 8, 8, 3]), outputs(false), release);
    expectSame('conv', 2, wasm, webgpu, false);
  });

  for (const network of ['convnet', 'resnet-se'] as const) {
    it(`dual affine coupling (${network}): forward, log-det, inverse and gradients`, async () => {
      const variables = coupling(network);
      const count = variables.variables.length;
      variables.dispose();
      const { wasm, webgpu } = await onWasmAndWebgpu(made(() => coupling(network), [2, 8, 8, 4]), outputs(true), release);
      expectSame(network, count, wasm, webgpu, true);
    });
  }
});
