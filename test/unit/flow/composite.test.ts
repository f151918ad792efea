/**
 * CompositeTransform: the parts run in order forward and in reverse order inverse, the log-dets
 * add up to the whole map's log|det J| (checked against the autodiff Jacobian of the composite,
 * not against the parts' own figures), inverse log-det = −forward log-det, and the observer sees
 * every part, nested composites one level deeper.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PRESETS } from '../../../src-shared/config';
import { initBackend } from '../../../src-main/engine/backend';
import { CompositeTransform } from '../../../src-main/engine/flow/composite';
import { type MultiScaleFlow, createFlowModel } from '../../../src-main/engine/flow/model';
import type { Transform } from '../../../src-main/engine/flow/types';
import { tf } from '../../../src-main/engine/tf';
import { jacobianLogDet, maxAbsDiff, perturb } from './helpers';

// Real layers taken from a real model (toy2d: conv → aff → act per block, on 2-D points).
let model: MultiScaleFlow;
beforeAll(async () => {
  await initBackend('cpu');
  model = createFlowModel({ ...PRESETS.toy2d.model, blocksPerLevel: 2 }, { seed: 3 });
});
afterAll(() => model.dispose());

describe('CompositeTransform', () => {
  it('is invertible, and its log-det is the log|det| of its Jacobian and the negative of its inverse log-det', () => {
    perturb(model.variables, 0.1, 11);
    const layers = model.bijections.slice(0, 6);
    const blockA = new CompositeTransform('A', layers.slice(0, 3));
    const blockB = new CompositeTransform('B', layers.slice(3));
    const whole = new CompositeTransform('AB', [blockA, blockB]);
    const x = tf.randomNormal([5, 2], 0, 1.5, 'float32', 7);
    const fwd = whole.forward(x);
    const back = whole.inverse(fwd.y);
    expect(maxAbsDiff(back.x, x)).toBeLessThan(1e-4);
    expect(maxAbsDiff(back.logdet, tf.neg(fwd.logdet))).toBeLessThan(1e-4);
    const got = fwd.logdet.arraySync() as number[];
    for (let i = 0; i < 5; i++) {
      const xi = tf.slice(x, [i, 0], [1, 2]);
      const expected = jacobianLogDet((v) => whole.forward(v).y, xi);
      expect(Math.abs(got[i]! - expected)).toBeLessThan(1e-3 * Math.max(1, Math.abs(expected)));
      xi.dispose();
    }
    tf.dispose([x, fwd.y, fwd.logdet, back.x, back.logdet]);
  });

  it('reports every part to the observer after it ran, nested parts one level deeper', () => {
    const layers = model.bijections.slice(0, 6);
    const blockA = new CompositeTransform('A', layers.slice(0, 3));
    const blockB = new CompositeTransform('B', layers.slice(3));
    const whole = new CompositeTransform('AB', [blockA, blockB]);
    const seen: { transform: Transform; depth: number; same: boolean }[] = [];
    const x = tf.randomNormal([4, 2], 0, 1, 'float32', 2);
    tf.tidy(() => {
      let previous = x;
      whole.forward(x, ({ transform, input, output, depth }) => {
        // Each leaf's input is the previous leaf's output: the parts really run in sequence.
        if (depth === 1) {
          seen.push({ transform, depth, same: input === previous });
          previous = output.y;
        } else seen.push({ transform, depth, same: true });
      });
    });
    expect(seen.map((s) => s.depth)).toEqual([1, 1, 1, 0, 1, 1, 1, 0]);
    expect(seen.filter((s) => s.depth === 1).map((s) => s.transform)).toEqual(layers);
    expect(seen.filter((s) => s.depth === 0).map((s) => s.transform)).toEqual([blockA, blockB]);
    expect(seen.every((s) => s.same)).toBe(true);
    x.dispose();
  });

  it('refuses an empty composite', () => {
    expect(() => new CompositeTransform('empty', [])).toThrow(/at least one part/);
  });
});
