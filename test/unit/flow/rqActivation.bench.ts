/**
 * Timing of the RQ activation on the default backend (wasm, single-threaded SIMD) for a
 * [64, 14, 14, 4] input, 16 bins, strict variant, random parameters:
 *   npx vitest bench --run test/unit/flow/rqActivation.bench.ts
 * FLOWSTUDIO_BACKEND=cpu selects the cpu backend instead. Timings only; correctness lives in the
 * rq*.test.ts files.
 */
import { bench, describe } from 'vitest';
import { initBackend } from '../../../src-main/engine/backend';
import { tf } from '../../../src-main/engine/tf';
import { makeLayer, randomize } from './rqHelpers';

const info = await initBackend(process.env['FLOWSTUDIO_BACKEND'] === 'cpu' ? 'cpu' : 'wasm');
const layer = makeLayer({ channels: 4, variant: 'strict' });
randomize(layer, 1, { x: 1, y: 1.2, a: 1.2, logW: 0.3 });
const x = tf.tidy(() => tf.mul(tf.randomNormal([64, 14, 14, 4], 0, 1, 'float32', 1), 1.5));
const y = tf.tidy(() => layer.forward(x).y);
// The input as a variable too: one backward pass yields the parameter and the input gradients,
// as in training, where the activation's input depends on earlier layers' variables.
const xVar = tf.variable(x, true, 'rq-bench-input');
const vars = [...(layer.variables as tf.Variable[]), xVar];

describe(`RQ activation [64, 14, 14, 4] on ${info.active}`, () => {
  bench('forward (y and log-det)', () => {
    const r = layer.forward(x);
    r.logdet.dataSync();
    tf.dispose([r.y, r.logdet]);
  });

  bench('forward + backward (gradients w.r.t. the parameters and the input)', () => {
    const { value, grads } = tf.variableGrads(() => {
      const r = layer.forward(xVar);
      return tf.sub(tf.mul(tf.sum(tf.square(r.y)), 0.5), tf.sum(r.logdet)) as tf.Scalar;
    }, vars);
    value.dataSync();
    tf.dispose([value, ...Object.values(grads)]);
  });

  bench('inverse', () => {
    const back = layer.inverse(y).x;
    back.dataSync();
    back.dispose();
  });
});
