/** The squeeze's documented pixel layout, and unsqueeze as its exact inverse. */
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../../src-main/engine/backend';
import { squeeze, unsqueeze } from '../../../src-main/engine/ops/squeeze';
import { tf } from '../../../src-main/engine/tf';

beforeAll(async () => {
  await initBackend('cpu');
});

describe('squeeze by k', () => {
  it('puts input pixel (k·i + a, k·j + b), channel c at output (i, j), channel (a·k + b)·C + c', () => {
    const [n, h, w, c, k] = [2, 6, 9, 2, 3];
    const values = Array.from({ length: n * h * w * c }, (_, i) => i);
    const x = tf.tensor4d(values, [n, h, w, c]);
    const y = squeeze(x, k);
    expect(y.shape).toEqual([n, h / k, w / k, k * k * c]);
    const out = y.arraySync() as number[][][][];
    const input = x.arraySync() as number[][][][];
    for (let b = 0; b < n; b++)
      for (let i = 0; i < h / k; i++)
        for (let j = 0; j < w / k; j++)
          for (let da = 0; da < k; da++)
            for (let db = 0; db < k; db++)
              for (let ch = 0; ch < c; ch++) expect(out[b]![i]![j]![(da * k + db) * c + ch]).toBe(input[b]![k * i + da]![k * j + db]![ch]);
    expect(Array.from(unsqueeze(y, k).dataSync())).toEqual(values);
    expect(squeeze(x, 1)).toBe(x);
  });

  it('names the problem when the shape does not divide', () => {
    expect(() => squeeze(tf.zeros([1, 5, 4, 1]), 2)).toThrow(/divisible by 2/);
    expect(() => unsqueeze(tf.zeros([1, 2, 2, 3]), 2)).toThrow(/channels divisible by 4/);
  });
});
