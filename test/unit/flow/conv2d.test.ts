/**
 * The custom-gradient conv2d and matMul against tfjs's own ops and gradients (cpu, where tfjs
 * has every kernel), and the same ops differentiated on wasm, which lacks Conv2DBackpropFilter.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../../src-main/engine/backend';
import { conv2d } from '../../../src-main/engine/ops/conv2d';
import { matMul } from '../../../src-main/engine/ops/matmul';
import { type Tensor, tf } from '../../../src-main/engine/tf';
import { maxAbs, maxAbsDiff } from './helpers';

beforeAll(async () => {
  await initBackend('cpu');
});
afterAll(async () => {
  await tf.setBackend('cpu');
});

/** Gradients of a random linear functional of the output, so every output element matters. */
function grads(op: (x: Tensor, w: Tensor) => Tensor, x: Tensor, w: Tensor, r: Tensor): Tensor[] {
  return tf.grads((a: Tensor, b: Tensor) => tf.sum(tf.mul(op(a, b), r)))([x, w]);
}

const cases: [string, number[], number[]][] = [
  ['3×3, 3→5 channels', [2, 6, 5, 3], [3, 3, 3, 5]],
  ['5×5, 2→4 channels', [3, 7, 7, 2], [5, 5, 2, 4]],
  ['1×1 (matmul path), 6→3', [2, 4, 5, 6], [1, 1, 6, 3]],
  ['3×3 on 1×1 images', [4, 1, 1, 2], [3, 3, 2, 2]],
];

describe('conv2d with custom gradients', () => {
  for (const [name, xShape, wShape] of cases) {
    it(`matches tf.conv2d and its gradients on cpu: ${name}`, () => {
      tf.tidy(() => {
        const x = tf.randomNormal<tf.Rank>(xShape, 0, 1, 'float32', 1) as tf.Tensor4D;
        const w = tf.randomNormal<tf.Rank>(wShape, 0, 1, 'float32', 2) as tf.Tensor4D;
        const ours = conv2d(x, w);
        const theirs = tf.conv2d(x, w, 1, 'same');
        expect(ours.shape).toEqual(theirs.shape);
        expect(maxAbsDiff(ours, theirs)).toBeLessThan(1e-5 * maxAbs(theirs));
        const r = tf.randomNormal(theirs.shape, 0, 1, 'float32', 3);
        const [dxO, dwO] = grads((a, b) => conv2d(a, b), x, w, r) as [Tensor, Tensor];
        const [dxT, dwT] = grads((a, b) => tf.conv2d(a as tf.Tensor4D, b as tf.Tensor4D, 1, 'same'), x, w, r) as [Tensor, Tensor];
        expect(dxO.shape).toEqual(x.shape);
        expect(dwO.shape).toEqual(w.shape);
        expect(maxAbsDiff(dxO, dxT)).toBeLessThan(1e-5 * maxAbs(dxT));
        expect(maxAbsDiff(dwO, dwT)).toBeLessThan(1e-5 * maxAbs(dwT));
      });
    });
  }

  it('matMul gradients match tf.matMul on cpu', () => {
    tf.tidy(() => {
      const a = tf.randomNormal([7, 5], 0, 1, 'float32', 4);
      const b = tf.randomNormal([5, 3], 0, 1, 'float32', 5);
      const r = tf.randomNormal([7, 3], 0, 1, 'float32', 6);
      expect(maxAbsDiff(matMul(a, b), tf.matMul(a, b))).toBeLessThan(1e-6);
      const [daO, dbO] = grads(matMul, a, b, r) as [Tensor, Tensor];
      const [daT, dbT] = grads((x, y) => tf.matMul(x, y), a, b, r) as [Tensor, Tensor];
      expect(maxAbsDiff(daO, daT)).toBeLessThan(1e-5 * maxAbs(daT));
      expect(maxAbsDiff(dbO, dbT)).toBeLessThan(1e-5 * maxAbs(dbT));
    });
  });

  it('is differentiable on wasm and agrees with cpu', async () => {
    const shapes: [number[], number[]][] = [
      [[2, 6, 5, 3], [3, 3, 3, 5]],
      [[2, 4, 4, 4], [1, 1, 4, 2]],
    ];
    for (const [xShape, wShape] of shapes) {
      const onBackend = () =>
        tf.tidy(() => {
          const x = tf.randomNormal(xShape, 0, 1, 'float32', 7);
          const w = tf.randomNormal(wShape, 0, 1, 'float32', 8);
          const r = tf.randomNormal([xShape[0]!, xShape[1]!, xShape[2]!, wShape[3]!], 0, 1, 'float32', 9);
          return [conv2d(x, w), ...grads((a, b) => conv2d(a, b), x, w, r)].map((t) => Array.from(t.dataSync()));
        });
      await tf.setBackend('cpu');
      const cpu = onBackend();
      await tf.setBackend('wasm');
      const wasm = onBackend();
      await tf.setBackend('cpu');
      for (let i = 0; i < cpu.length; i++) {
        const scale = Math.max(...cpu[i]!.map(Math.abs));
        const diff = Math.max(...cpu[i]!.map((v, j) => Math.abs(v - wasm[i]![j]!)));
        expect(diff).toBeLessThan(1e-5 * scale);
      }
    }
  });

  it('rejects shapes it cannot convolve, naming the problem', () => {
    const x = tf.zeros([1, 4, 4, 3]);
    expect(() => conv2d(x, tf.zeros([2, 2, 3, 1]))).toThrow(/square and odd/);
    expect(() => conv2d(x, tf.zeros([3, 3, 2, 1]))).toThrow(/3 channels but the filter expects 2/);
    expect(() => conv2d(tf.zeros([4, 3]), tf.zeros([1, 1, 3, 1]))).toThrow(/\[batch, height, width, channels\]/);
    expect(() => matMul(tf.zeros([2, 3]), tf.zeros([2, 3]))).toThrow(/\[m, k\] · \[k, n\]/);
  });
});
