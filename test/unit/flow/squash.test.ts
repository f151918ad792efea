/** Sec. 6.2 squashing layers: exact log-det (vs autodiff Jacobian), inverse, erfinv accuracy against a float64 erf. */
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../../src-main/engine/backend';
import { Squash, erfinv } from '../../../src-main/engine/flow/layers/squash';
import { tf } from '../../../src-main/engine/tf';
import { jacobianLogDet, maxAbsDiff } from './helpers';

beforeAll(async () => {
  await initBackend('cpu');
});

/** erf by its Maclaurin series in float64 (accurate to ~1e-10 for |x| ≤ 3.5). */
function erf64(x: number): number {
  let term = x;
  let sum = x;
  for (let n = 1; n < 200; n++) {
    term *= (-x * x) / n;
    sum += term / (2 * n + 1);
  }
  return (2 / Math.sqrt(Math.PI)) * sum;
}

describe('Squash (tanh, normal-cdf)', () => {
  for (const kind of ['tanh', 'normal-cdf'] as const) {
    it(`${kind}: log-det equals log|det J| and the inverse recovers x`, () => {
      const layer = new Squash({ name: 'L1.B1.squash', level: 0, block: 0, kind: 'squash' }, kind);
      const x = tf.randomNormal([1, 2, 2, 3], 0, 1.2, 'float32', 1);
      const reference = jacobianLogDet((v) => layer.forward(v).y, x);
      const own = layer.forward(x).logdet.dataSync()[0]!;
      expect(Math.abs(own - reference)).toBeLessThan(1e-3 * Math.max(1, Math.abs(reference)));
      const batch = tf.clipByValue(tf.randomNormal([8, 6], 0, 1, 'float32', 2), -3, 3);
      const { y } = layer.forward(batch);
      expect(Math.max(...y.dataSync().map(Math.abs))).toBeLessThan(1);
      expect(maxAbsDiff(layer.inverse(y).x, batch)).toBeLessThan(kind === 'tanh' ? 1e-4 : 2e-4);
    });
  }

  it('normal-cdf is 2Φ(x) − 1 and its log-det is exact at large |x| too', () => {
    const layer = new Squash({ name: 's', level: 0, block: 0, kind: 'squash' }, 'normal-cdf');
    const xs = [-6, -2, -0.5, 0, 0.3, 1.7, 6];
    const { y, logdet } = layer.forward(tf.tensor2d(xs, [xs.length, 1]));
    y.dataSync().forEach((v, i) => expect(v).toBeCloseTo(erf64(xs[i]! / Math.SQRT2), 6));
    logdet.dataSync().forEach((v, i) => expect(v).toBeCloseTo(Math.log(Math.sqrt(2 / Math.PI) * Math.exp(-(xs[i]! ** 2) / 2)), 4));
    const tanh = new Squash({ name: 't', level: 0, block: 0, kind: 'squash' }, 'tanh');
    tanh
      .forward(tf.tensor2d(xs, [xs.length, 1]))
      .logdet.dataSync()
      .forEach((v, i) => expect(v).toBeCloseTo(Math.log(1 - Math.tanh(xs[i]!) ** 2), 4));
  });

  it('erfinv inverts erf to float32 accuracy over (−1, 1)', () => {
    const ys: number[] = [];
    for (let v = -0.999; v <= 0.999; v += 0.001) ys.push(v);
    const x = erfinv(tf.tensor1d(ys)).dataSync();
    // Residual in y: tfjs's float32 erf (which the Newton steps invert) is itself accurate to
    // ~1.5e-7, so that is the floor; in x the error is this divided by erf'(x).
    let worst = 0;
    ys.forEach((y, i) => (worst = Math.max(worst, Math.abs(erf64(x[i]!) - y))));
    expect(worst).toBeLessThan(5e-7);
  });

  it('refuses an unknown kind', () => {
    expect(() => new Squash({ name: 'x', level: 0, block: 0, kind: 'squash' }, 'sigmoid' as 'tanh')).toThrow(/unknown squashing "sigmoid"/);
  });
});
