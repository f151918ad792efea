/**
 * The RQ activation on the wasm backend (the default backend on these machines): invertibility,
 * derivative against autodiff, finite gradients everywhere (wasm lacks UnsortedSegmentSum, the
 * gradient of gather, so this is where a gather-based selection would fail), agreement with the
 * cpu backend, and tensor bookkeeping.
 */
import { beforeAll, describe, expect, test } from 'vitest';
import { initBackend } from '../../../src-main/engine/backend';
import { tf } from '../../../src-main/engine/tf';
import { f32, makeLayer, randomize, samplePoints } from './rqHelpers';

beforeAll(async () => {
  const info = await initBackend('wasm');
  expect(info.active).toBe('wasm');
});

const C = 3;
const TYPICAL = { x: 1, y: 1.2, a: 1.2, logW: 0.3 };

describe.each(['paper', 'strict'] as const)('wasm, variant %s', (variant) => {
  test('round trip, derivative = autodiff, finite gradients everywhere, same values as cpu', async () => {
    expect(tf.getBackend()).toBe('wasm');
    const layer = makeLayer({ channels: C, variant });
    randomize(layer, variant === 'paper' ? 81 : 82, TYPICAL);
    const knots = layer.knots();
    const edges = knots.x.map((row) => row.flatMap((v) => [v, f32(v * (1 + 2 ** -23)), f32(v * (1 - 2 ** -23))]));
    const n = 10_000;
    const xs = samplePoints(n, edges, layer.tailBound, 8, 2);
    const x = tf.tensor2d(xs, [n, C]);

    const { y, logDerivative } = layer.elementwise(x);
    const back = layer.inverse(y).x;
    const bv = back.dataSync();
    let abs = 0;
    let rel = 0;
    for (let i = 0; i < xs.length; i++) {
      const d = Math.abs(bv[i]! - xs[i]!);
      if (Math.abs(xs[i]!) <= 10) abs = Math.max(abs, d);
      else rel = Math.max(rel, d / Math.abs(xs[i]!));
    }
    console.log(`[wasm ${variant}] inverse(forward(x)) max abs err ${abs.toExponential(2)}, rel beyond 10: ${rel.toExponential(2)}`);
    expect(abs).toBeLessThanOrEqual(1e-5);
    expect(rel).toBeLessThanOrEqual(1e-5);

    const auto = tf.grad((v: tf.Tensor) => tf.sum(layer.elementwise(v).y))(x);
    const av = auto.dataSync();
    const dv = logDerivative.dataSync();
    let autoErr = 0;
    for (let i = 0; i < av.length; i++) autoErr = Math.max(autoErr, Math.abs(Math.exp(dv[i]!) - av[i]!) / Math.exp(dv[i]!));
    expect(autoErr).toBeLessThan(1e-4);

    // Gradients w.r.t. every variable and the input, through forward (y and log-det) and
    // inverse, at knots, ±w, ±T, huge values: all finite, none identically zero.
    const special = tf.tensor2d(
      [0, 1e5, -1e5, 1e30, -1e30, 3e5, ...knots.x.flatMap((row) => row)].flatMap((v) => Array(C).fill(v)),
      [6 + knots.x.length * knots.x[0]!.length, C],
    );
    const vars = layer.variables as tf.Variable[];
    const { grads, value } = tf.variableGrads(() => {
      const fw = layer.forward(special);
      const inv = layer.inverse(fw.y).x;
      return tf.addN([tf.sum(tf.tanh(fw.y)), tf.sum(fw.logdet), tf.sum(tf.tanh(inv))]) as tf.Scalar;
    }, vars);
    for (const v of vars) {
      const g = grads[v.name]!.dataSync();
      expect(g.every(Number.isFinite), v.name).toBe(true);
      expect(g.some((e) => e !== 0), v.name).toBe(true);
    }
    const dx = tf.grad((v: tf.Tensor) => tf.sum(layer.forward(v).logdet))(special);
    expect(dx.dataSync().every(Number.isFinite)).toBe(true);

    // The same computation on the cpu backend (the variables move over on use). Gradients are
    // compared on generic points: on a knot itself the gradient w.r.t. the knot's position is
    // one-sided, and the backends' knots differ in the last bit.
    const generic = tf.tidy(() => tf.mul(tf.randomNormal([500, C], 0, 1, 'float32', 5), tf.tensor1d([1, 3, 30])));
    const loss = (): tf.Scalar => {
      const fw = layer.forward(generic);
      return tf.addN([tf.sum(tf.sin(fw.y)), tf.sum(fw.logdet), tf.sum(tf.sin(layer.inverse(generic).x))]) as tf.Scalar;
    };
    const wasmGrads = tf.variableGrads(loss, vars);
    const yWasm = y.dataSync().slice();
    const gWasm = vars.map((v) => wasmGrads.grads[v.name]!.dataSync().slice());
    await tf.setBackend('cpu');
    try {
      const yCpu = tf.tidy(() => layer.elementwise(x).y);
      const yc = yCpu.dataSync();
      let yDiff = 0;
      for (let i = 0; i < yc.length; i++) yDiff = Math.max(yDiff, Math.abs(yc[i]! - yWasm[i]!) / Math.max(1, Math.abs(yc[i]!)));
      expect(yDiff).toBeLessThan(1e-6);
      const cpu = tf.variableGrads(loss, vars);
      vars.forEach((v, k) => {
        const gc = cpu.grads[v.name]!.dataSync();
        // Float32 sums in different orders: knot-position parameters (θx, log w) are the sensitive
        // ones (see the cpu test's parameter-gradient check), slopes and derivatives much less.
        const tolerance = /theta_[ya]$/.test(v.name) ? 1e-4 : 3e-3;
        gc.forEach((e, i) => expect(Math.abs(e - gWasm[k]![i]!), `${v.name}[${i}]`).toBeLessThan(tolerance * Math.max(1, Math.abs(e))));
      });
      tf.dispose([yCpu, cpu.value, ...Object.values(cpu.grads)]);
    } finally {
      await tf.setBackend('wasm');
    }
    tf.dispose([x, y, logDerivative, back, auto, special, value, dx, generic, wasmGrads.value]);
    tf.dispose([...Object.values(grads), ...Object.values(wasmGrads.grads)]);
    layer.dispose();
  });
});

test('wasm: tensor count unchanged after repeated training-like steps', () => {
  const layer = makeLayer({ channels: 4, variant: 'strict' });
  randomize(layer, 91, TYPICAL);
  const x = tf.tidy(() => tf.mul(tf.randomNormal([4, 6, 6, 4], 0, 1, 'float32', 3), 3));
  const step = (): void => {
    const { grads, value } = tf.variableGrads(() => {
      const { y, logdet } = layer.forward(x);
      return tf.sub(tf.mul(tf.sum(tf.square(y)), 0.5), tf.sum(logdet)) as tf.Scalar;
    }, layer.variables as tf.Variable[]);
    const back = tf.tidy(() => layer.inverse(layer.forward(x).y).x);
    layer.maxDerivative();
    tf.dispose([value, back, ...Object.values(grads)]);
  };
  step();
  const before = tf.memory().numTensors;
  for (let i = 0; i < 5; i++) step();
  expect(tf.memory().numTensors).toBe(before);
  x.dispose();
  layer.dispose();
});
