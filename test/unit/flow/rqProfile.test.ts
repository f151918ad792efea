import { test } from 'vitest';
import { initBackend } from '../../../src-main/engine/backend';
import { tf } from '../../../src-main/engine/tf';
import { makeLayer, randomize } from './rqHelpers';
test('profile', async () => {
  await initBackend((process.env.B ?? 'wasm') as 'wasm');
  const l = makeLayer({ channels: 4, variant: 'strict' });
  randomize(l, 1, { x: 1, y: 1, a: 1, logW: 0.3 });
  const x = tf.randomNormal([64, 14, 14, 4]);
  const step = () => {
    const { value, grads } = tf.variableGrads(() => tf.sum(tf.add(tf.sum(tf.square(l.forward(x).y)), tf.sum(l.forward(x).logdet))) as tf.Scalar, l.variables as tf.Variable[]);
    value.dataSync(); tf.dispose([value, ...Object.values(grads)]);
  };
  const fwd = () => { const r = l.forward(x); r.logdet.dataSync(); tf.dispose([r.y, r.logdet]); };
  for (let i = 0; i < 3; i++) { step(); fwd(); }
  const prof = await tf.profile(() => { step(); return tf.zeros([1]); });
  const by: Record<string, number> = {};
  for (const kk of prof.kernels) by[kk.name] = (by[kk.name] ?? 0) + (kk.kernelTimeMs as number);
  console.log(JSON.stringify(Object.entries(by).sort((a, b) => b[1] - a[1]).slice(0, 12)));
  let t = performance.now(); for (let i = 0; i < 10; i++) fwd(); console.log('fwd ms', (performance.now() - t) / 10);
  t = performance.now(); for (let i = 0; i < 10; i++) step(); console.log('fwd(x2)+bwd ms', (performance.now() - t) / 10);
});
