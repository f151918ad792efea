import { test } from 'vitest';
import { initBackend } from '../../../src-main/engine/backend';
import { tf } from '../../../src-main/engine/tf';
test('mm', async () => {
  console.log(JSON.stringify(await initBackend((process.env.B ?? 'wasm') as 'wasm')));
  const time = (name: string, f: () => tf.Tensor) => { for (let i = 0; i < 3; i++) f().dispose(); const t = performance.now(); for (let i = 0; i < 20; i++) { const r = f(); r.dataSync(); r.dispose(); } console.log(name, ((performance.now() - t) / 20).toFixed(3)); };
  for (const n of [1000, 50000, 500000]) {
    const a = tf.randomNormal([n]); const b = tf.randomNormal([n]);
    time(`mul ${n}`, () => tf.mul(a, b));
    time(`div ${n}`, () => tf.div(a, b));
    time(`exp ${n}`, () => tf.exp(a));
  }
  const oh = tf.oneHot(tf.randomUniform([4, 12544], 0, 18, 'int32'), 18, 1, 0, 'float32');
  const tabT = tf.randomNormal([4, 18, 10]);
  time('oh @ tabT', () => tf.matMul(oh, tabT));
  const oh2 = tf.reshape(oh, [4 * 12544, 18]); const t2 = tf.randomNormal([18, 10]);
  time('2D oh @ tab', () => tf.matMul(oh2, t2));
  time('dataSync 50k + tensor', () => { const d = tf.randomNormal([50000]); const v = d.dataSync(); d.dispose(); return tf.tensor(v); });
});
