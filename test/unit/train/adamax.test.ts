/** Our Adamax against tfjs's own AdamaxOptimizer (an independent implementation of the same rule). */
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../../src-main/engine/backend';
import { tf } from '../../../src-main/engine/tf';
import { Adamax } from '../../../src-main/engine/train/adamax';
import { learningRateAt } from '../../../src-main/engine/train/schedule';

beforeAll(async () => {
  await initBackend('cpu');
});

describe('Adamax', () => {
  it('matches tfjs AdamaxOptimizer step for step on a quadratic', () => {
    const target = tf.tensor1d([1, -2, 3, 0.5]);
    const ours = tf.variable(tf.tensor1d([0.3, 0.1, -0.2, 2]), true, 'w-ours');
    const theirs = tf.variable(tf.tensor1d([0.3, 0.1, -0.2, 2]), true, 'w-theirs');
    const opt = new Adamax({ beta1: 0.9, beta2: 0.999, epsilon: 1e-7 });
    const reference = tf.train.adamax(0.2, 0.9, 0.999, 1e-7, 0);
    for (let step = 0; step < 40; step++) {
      const { grads } = tf.variableGrads(() => tf.sum(tf.square(tf.sub(ours, target))) as tf.Scalar, [ours]);
      opt.apply([ours], grads, 0.2);
      Object.values(grads).forEach((g) => g.dispose());
      reference.minimize(() => tf.sum(tf.square(tf.sub(theirs, target))) as tf.Scalar, false, [theirs]);
    }
    const diff = tf.max(tf.abs(tf.sub(ours, theirs))).dataSync()[0]!;
    expect(diff).toBeLessThan(1e-6);
    // And it actually optimises.
    expect(tf.max(tf.abs(tf.sub(ours, target))).dataSync()[0]!).toBeLessThan(0.8);
    expect(opt.iterations).toBe(40);
    opt.dispose();
    reference.dispose();
  });

  it('restores its state exactly', () => {
    const w1 = tf.variable(tf.tensor1d([1, 2]), true, 'r1');
    const opt = new Adamax({ beta1: 0.9, beta2: 0.999, epsilon: 1e-7 });
    const g = { r1: tf.tensor1d([0.5, -1]) };
    opt.apply([w1], g, 0.01);
    const saved = Object.fromEntries(Object.entries(opt.state([w1], ['w'])).map(([k, v]) => [k, v.clone()]));
    expect(Object.keys(saved).sort()).toEqual(['adamax/m/w', 'adamax/u/w']);
    const restored = new Adamax({ beta1: 0.9, beta2: 0.999, epsilon: 1e-7 });
    const w2 = tf.variable(w1.clone(), true, 'r2');
    // Loading makes exactly its two slots: nothing else stays allocated (a resume leaked one
    // zeros tensor per slot before).
    const before = tf.memory().numTensors;
    restored.load(saved, opt.iterations, [w2], ['w']);
    expect(tf.memory().numTensors).toBe(before + 2);
    opt.apply([w1], g, 0.01);
    restored.apply([w2], { r2: g.r1 }, 0.01);
    expect(Array.from(w1.dataSync())).toEqual(Array.from(w2.dataSync()));
  });
});

describe('learning-rate schedule (App. C)', () => {
  const schedule = { initial: 0.01, final: 0.001, decaySteps: 1000, decayRate: 0.98, warmupSteps: 0 };
  it('starts at 0.01, decays by 0.98 per 1000 steps, floors at 0.001', () => {
    expect(learningRateAt(0, schedule)).toBe(0.01);
    expect(learningRateAt(1000, schedule)).toBeCloseTo(0.0098, 12);
    expect(learningRateAt(2000, schedule)).toBeCloseTo(0.01 * 0.98 * 0.98, 12);
    // 0.01 * 0.98^(s/1000) = 0.001 at s = 1000 * ln(0.1)/ln(0.98) ≈ 113,974.
    expect(learningRateAt(113_000, schedule)).toBeGreaterThan(0.001);
    expect(learningRateAt(115_000, schedule)).toBe(0.001);
  });

  it('warms up linearly when asked', () => {
    const warm = { ...schedule, warmupSteps: 100 };
    expect(learningRateAt(0, warm)).toBeCloseTo(0.0001, 12);
    expect(learningRateAt(49, warm)).toBeCloseTo(learningRateAt(49, schedule) * 0.5, 15);
    expect(learningRateAt(99, warm)).toBe(learningRateAt(99, schedule));
    expect(learningRateAt(5000, warm)).toBe(learningRateAt(5000, schedule));
  });
});
