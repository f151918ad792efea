/**
 * ops/binSelect.ts against independent computations: the bin index against a host count of the
 * knots ≤ each value (both code paths: SearchSorted and compare-and-count), the selection
 * against host indexing, and its gradient against tfjs's own gather gradient on cpu
 * (UnsortedSegmentSum); on wasm, which lacks that kernel, against the cpu values.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../../src-main/engine/backend';
import { countKnotsBelow, selectBins } from '../../../src-main/engine/ops/binSelect';
import { tf } from '../../../src-main/engine/tf';
import { rng } from './rqHelpers';

const C = 3;
const K = 6; // bins per channel: K − 1 = 5 knots
const N = 400;

/** Sorted knots per channel, values that hit the knots exactly, their neighbours, ±∞-ish and NaN-free extremes. */
function problem(seed: number): { knots: number[][]; values: number[][]; rows: number[][][] } {
  const r = rng(seed);
  const knots = Array.from({ length: C }, () => {
    const k = Array.from({ length: K - 1 }, () => Math.fround(4 * r.normal()));
    return k.sort((a, b) => a - b);
  });
  const values = knots.map((k) =>
    Array.from({ length: N }, (_, n) => {
      if (n < k.length) return k[n]!; // exactly on a knot: counts as ≤
      if (n < 2 * k.length) return Math.fround(k[n - k.length]! * (1 - 1e-7)); // just below
      if (n === 2 * k.length) return -3e38;
      if (n === 2 * k.length + 1) return 3e38;
      return Math.fround(6 * r.normal());
    }),
  );
  const rows = Array.from({ length: 4 }, () => Array.from({ length: C }, () => Array.from({ length: K }, () => r.normal())));
  return { knots, values, rows };
}

function hostCount(knots: number[], v: number): number {
  return knots.filter((k) => k <= v).length;
}

describe('bin selection on cpu', () => {
  afterAll(() => tf.disposeVariables());

  it('counts the knots ≤ each value, by SearchSorted and by compare-and-count alike', async () => {
    await initBackend('cpu');
    const { knots, values } = problem(1);
    const kt = tf.tensor2d(knots);
    const vt = tf.tensor2d(values);
    for (const searchSorted of [true, false]) {
      const index = countKnotsBelow(kt, vt, { searchSorted });
      expect(index.dtype).toBe('int32');
      const got = index.arraySync() as number[][];
      for (let c = 0; c < C; c++) for (let n = 0; n < N; n++) expect(got[c]![n]).toBe(hostCount(knots[c]!, values[c]![n]!));
      index.dispose();
    }
    tf.dispose([kt, vt]);
  });

  it('picks every row at each element\'s bin, and its gradient is the gather gradient (UnsortedSegmentSum)', async () => {
    await initBackend('cpu');
    const { knots, values, rows } = problem(2);
    const kt = tf.tensor2d(knots);
    const vt = tf.tensor2d(values);
    const rowVars = rows.map((r, i) => tf.variable(tf.tensor2d(r), true, `binSelect-row-${i}`));
    const weights = rows.map((_, i) => tf.randomNormal([C, N], 0, 1, 'float32', 10 + i));
    const picked = selectBins(rowVars, vt, kt);
    for (let r = 0; r < rows.length; r++) {
      const got = picked[r]!.arraySync() as number[][];
      for (let c = 0; c < C; c++) for (let n = 0; n < N; n++) expect(got[c]![n]).toBe(Math.fround(rows[r]![c]![hostCount(knots[c]!, values[c]![n]!)]!));
    }
    const objective = (pick: (rowsIn: tf.Tensor[]) => tf.Tensor[]) => () =>
      tf.addN(pick(rowVars).map((p, i) => tf.sum(tf.mul(p, weights[i]!)))) as tf.Scalar;
    const ours = tf.variableGrads(objective((rs) => selectBins(rs, vt, kt)), rowVars).grads;
    // Reference: tfjs's gather on the flattened rows, whose gradient is UnsortedSegmentSum (cpu has it).
    const flatIndex = tf.tidy(() => tf.add(countKnotsBelow(kt, vt), tf.mul(tf.range(0, C, 1, 'int32').reshape([C, 1]), tf.scalar(K, 'int32'))));
    const reference = tf.variableGrads(
      objective((rs) => rs.map((r) => tf.reshape(tf.gather(tf.reshape(r, [-1]), tf.reshape(flatIndex, [-1])), [C, N]))),
      rowVars,
    ).grads;
    for (const v of rowVars) {
      const a = ours[v.name]!.dataSync();
      const b = reference[v.name]!.dataSync();
      let scale = 0;
      for (const x of b) scale = Math.max(scale, Math.abs(x));
      expect(scale).toBeGreaterThan(1);
      for (let i = 0; i < a.length; i++) expect(Math.abs(a[i]! - b[i]!)).toBeLessThan(1e-5 * scale);
    }
    tf.dispose([kt, vt, ...weights, ...picked, flatIndex, ...Object.values(ours), ...Object.values(reference), ...rowVars]);
  });

  it('names mismatched shapes', async () => {
    await initBackend('cpu');
    const v = tf.zeros([2, 5]);
    expect(() => selectBins([tf.zeros([2, 4])], v, tf.zeros([2, 2]))).toThrow(/4 bins need knots \[2, 3\], got \[2,2\]/);
    expect(() => selectBins([tf.zeros([2, 4]), tf.zeros([3, 4])], v, tf.zeros([2, 3]))).toThrow(/every row must be \[2, 4\]/);
    expect(() => countKnotsBelow(tf.zeros([3, 2]), v)).toThrow(/knots \[C, B\] and values \[C, N\]/);
  });
});

describe('bin selection on wasm (no UnsortedSegmentSum)', () => {
  it('gives the cpu values and gradients', async () => {
    const { knots, values, rows } = problem(3);
    const run = async (backend: 'cpu' | 'wasm') => {
      await initBackend(backend);
      const kt = tf.tensor2d(knots);
      const vt = tf.tensor2d(values);
      const rowVars = rows.map((r) => tf.variable(tf.tensor2d(r)));
      const weights = rows.map((_, i) => tf.randomNormal([C, N], 0, 1, 'float32', 20 + i));
      const { value, grads } = tf.variableGrads(() => tf.addN(selectBins(rowVars, vt, kt).map((p, i) => tf.sum(tf.mul(p, weights[i]!)))) as tf.Scalar, rowVars);
      const out = { value: value.dataSync()[0]!, grads: rowVars.map((v) => Array.from(grads[v.name]!.dataSync())) };
      tf.dispose([kt, vt, value, ...weights, ...Object.values(grads), ...rowVars]);
      return out;
    };
    const cpu = await run('cpu');
    const wasm = await run('wasm');
    expect(Math.abs(wasm.value - cpu.value)).toBeLessThan(1e-4 * Math.max(1, Math.abs(cpu.value)));
    cpu.grads.forEach((g, r) => g.forEach((v, i) => expect(Math.abs(wasm.grads[r]![i]! - v)).toBeLessThan(1e-4 * Math.max(1, Math.abs(v)))));
  });
});
