/** f_aff (Eq. 14–15) with each coupling network: exact elementwise scaling at init, inverse, log-det vs autodiff Jacobian, bounds. */
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { CouplingNetwork } from '../../../src-shared/config';
import { initBackend } from '../../../src-main/engine/backend';
import { blockInitialization } from '../../../src-main/engine/flow/init';
import { DualAffineCoupling } from '../../../src-main/engine/flow/layers/coupling';
import { CouplingNet } from '../../../src-main/engine/flow/layers/couplingNets';
import { LOG_SCALE_MAX, LOG_SCALE_MIN } from '../../../src-main/engine/flow/mexicanHat';
import { type Variable, tf } from '../../../src-main/engine/tf';
import { jacobian, jacobianLogDet, maxAbs, maxAbsDiff, perturb } from './helpers';

beforeAll(async () => {
  await initBackend('cpu');
});

const owned: Variable[] = [];
afterEach(() => {
  for (const v of owned.splice(0)) v.dispose();
});

let counter = 0;
function coupling(channels: number, network: CouplingNetwork, unconstrained = false, beta = 0.8): DualAffineCoupling {
  const init = blockInitialization(beta, 4);
  const layer = new DualAffineCoupling({
    descriptor: { name: 'L1.B1.aff', level: 0, block: 0, kind: 'aff' },
    channels,
    network,
    hidden: 8,
    mixtures: 4,
    unconstrained,
    logScaleInit: init.logScale,
    mexicanHatBiases: init.mexicanHatBiases,
    seed: 3,
    variablePrefix: `coupling-test-${++counter}/`,
  });
  owned.push(...layer.variables);
  return layer;
}

const shapes: [CouplingNetwork, number[]][] = [
  ['convnet', [1, 3, 3, 4]],
  ['resnet-se', [1, 4, 4, 3]],
  ['dense', [1, 3]],
];

describe('DualAffineCoupling (f_aff)', () => {
  for (const [network, shape] of shapes) {
    it(`is exactly the elementwise scaling s = 1/√β at initialisation: ${network}`, () => {
      const beta = 0.8;
      const layer = coupling(shape[shape.length - 1]!, network, false, beta);
      const x = tf.randomNormal([5, ...shape.slice(1)], 0, 1, 'float32', 1);
      const { y, logdet } = layer.forward(x);
      const s = 1 / Math.sqrt(beta);
      expect(maxAbsDiff(y, tf.mul(x, s))).toBeLessThan(1e-6 * s * maxAbs(x));
      const d = x.size / 5;
      for (const v of logdet.dataSync()) expect(v).toBeCloseTo(d * Math.log(s), 5);
    });

    it(`inverts and its log-det equals log|det J| away from init: ${network}`, () => {
      const layer = coupling(shape[shape.length - 1]!, network);
      perturb(layer.variables, 0.3, 21);
      const x = tf.randomNormal(shape, 0, 1, 'float32', 2);
      const { y, logdet } = layer.forward(x);
      // The perturbation made it non-trivial: y is no longer a rescaled x.
      expect(maxAbsDiff(y, tf.mul(x, 1 / Math.sqrt(0.8)))).toBeGreaterThan(0.05);
      const reference = jacobianLogDet((v) => layer.forward(v).y, x);
      expect(Math.abs(logdet.dataSync()[0]! - reference)).toBeLessThan(1e-3 * Math.max(1, Math.abs(reference)));
      const batch = tf.randomNormal([4, ...shape.slice(1)], 0, 1, 'float32', 3);
      expect(maxAbsDiff(layer.inverse(layer.forward(batch).y).x, batch)).toBeLessThan(1e-5);
    });
  }

  it('unconstrained (Sec. 6.2): free log-scales, still exact log-det and inverse', () => {
    const layer = coupling(4, 'convnet', true);
    // Free log-scales grow fast with the weights (0.3 gives s up to e^40): stay moderate.
    perturb(layer.variables, 0.05, 22);
    const x = tf.randomNormal([1, 3, 3, 4], 0, 1, 'float32', 4);
    const reference = jacobianLogDet((v) => layer.forward(v).y, x);
    expect(Math.abs(layer.forward(x).logdet.dataSync()[0]! - reference)).toBeLessThan(1e-3 * Math.max(1, Math.abs(reference)));
    expect(maxAbsDiff(layer.inverse(layer.forward(x).y).x, x)).toBeLessThan(1e-5);
  });

  it('keeps log s within the Mexican-hat bounds however large the weights, unless unconstrained', () => {
    const make = (unconstrained: boolean) => {
      const net = new CouplingNet({
        network: 'dense',
        inChannels: 3,
        outChannels: 2,
        hidden: 16,
        mixtures: 4,
        unconstrained,
        logScaleInit: 0.1,
        mexicanHatBiases: blockInitialization(0.8, 4).mexicanHatBiases,
        seed: 9,
        variablePrefix: `bounds-test-${++counter}/`,
      });
      owned.push(...net.variables);
      perturb(net.variables, 1, 23);
      return net;
    };
    const x = tf.randomNormal([256, 3], 0, 1, 'float32', 5);
    const constrained = make(false).apply(x).logScale;
    const values = constrained.dataSync();
    expect(Math.min(...values)).toBeGreaterThanOrEqual(LOG_SCALE_MIN - 1e-6);
    expect(Math.max(...values)).toBeLessThanOrEqual(LOG_SCALE_MAX + 1e-6);
    // It really moved across the range (not stuck at the init value).
    expect(Math.max(...values) - Math.min(...values)).toBeGreaterThan(0.5);
    const free = make(true).apply(x).logScale.dataSync();
    expect(Math.max(...free.map(Math.abs))).toBeGreaterThan(2);
  });

  for (const [network, shape] of shapes) {
    it(`transforms both halves, the second from y1: the Jacobian's blocks (${network})`, () => {
      // Dual coupling, channels (x1 | x2) with x1 the first ⌊c/2⌋: y1 = s1(x2)·x1 + t1(x2),
      // y2 = s2(y1)·x2 + t2(y1). So ∂y1/∂x1 is diagonal and not I, ∂y2/∂x1 ≠ 0 (through y1) and
      // ∂y2/∂x2 ≠ I. A single coupling (y2 = x2) would give ∂y2/∂x1 = 0 and ∂y2/∂x2 = I.
      const c = shape[shape.length - 1]!;
      const layer = coupling(c, network);
      perturb(layer.variables, 0.3, 24);
      const x = tf.randomNormal(shape, 0, 1, 'float32', 6);
      const { matrix, rows } = jacobian((v) => layer.forward(v).y, x);
      const r = Math.floor(c / 2);
      const half = (i: number): 1 | 2 => (i % c < r ? 1 : 2);
      const blocks = { '11': 0, '11off': 0, '12': 0, '21': 0, '22minusI': 0 };
      for (let i = 0; i < rows; i++)
        for (let j = 0; j < rows; j++) {
          const v = Math.abs(matrix[i * rows + j]!);
          const key = `${half(i)}${half(j)}`;
          if (key === '11') {
            if (i === j) blocks['11'] = Math.max(blocks['11'], Math.abs(matrix[i * rows + j]! - 1));
            else blocks['11off'] = Math.max(blocks['11off'], v);
          } else if (key === '12') blocks['12'] = Math.max(blocks['12'], v);
          else if (key === '21') blocks['21'] = Math.max(blocks['21'], v);
          else blocks['22minusI'] = Math.max(blocks['22minusI'], Math.abs(matrix[i * rows + j]! - (i === j ? 1 : 0)));
        }
      expect(blocks['11off']).toBe(0); // y1 depends on x1 only elementwise
      expect(blocks['11']).toBeGreaterThan(0.05); // s1 ≠ 1
      expect(blocks['12']).toBeGreaterThan(0.05); // y1 depends on x2
      expect(blocks['21']).toBeGreaterThan(0.05); // y2 depends on x1, through y1
      expect(blocks['22minusI']).toBeGreaterThan(0.05); // x2 is transformed
    });
  }

  it('refuses a single channel', () => {
    expect(() => coupling(1, 'dense')).toThrow(/at least 2 channels, got 1/);
    const layer = coupling(4, 'dense');
    expect(() => layer.forward(tf.zeros([2, 3]))).toThrow(/L1\.B1\.aff: expects \[batch, 4\]/);
  });
});
