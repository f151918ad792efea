/**
 * Bin selection for piecewise maps (the RQ activation's bins) as device ops on every tfjs
 * backend: no host read, no gather gradient (wasm has no UnsortedSegmentSum).
 *
 * An element's bin is the number of knots ≤ it (SearchSorted, one kernel; a compare-and-count
 * where a backend lacks it, e.g. tfjs-node), turned once into a flat index into the [C·K] bins
 * of every parameter row, so that one GatherNd per row picks every element's value; its gradient, the exact adjoint, is one ScatterNd, which sums duplicate
 * indices on every backend. Measured on wasm at C·N = 50 176 elements, K = 18, R = 10 (2 shared
 * cores, docs/activation.md): SearchSorted 0.5 ms, GatherNd 0.15 ms per row, ScatterNd 0.05 ms
 * per row, against 12–19 ms for a one-hot batched matmul, 39 ms for GatherV2 and 14 ms or more
 * to unstack a packed [R, C·N] pick (wasm slices in JavaScript), hence one pick per row.
 */
import { type Tensor, tf } from '../tf';

/** For each values[c, n], the number of knots[c, ·] (ascending) that are ≤ it: int32 [C, N]. */
export function countKnotsBelow(knots: Tensor, values: Tensor, options: { searchSorted?: boolean } = {}): Tensor {
  if (knots.rank !== 2 || values.rank !== 2 || knots.shape[0] !== values.shape[0]) {
    throw new Error(`countKnotsBelow: needs knots [C, B] and values [C, N], got [${knots.shape}] and [${values.shape}]`);
  }
  const useSearch = options.searchSorted ?? tf.getKernel('SearchSorted', tf.getBackend()) !== undefined;
  if (useSearch) return tf.searchSorted(knots, values, 'right');
  return tf.tidy(() => tf.sum(tf.cast(tf.greaterEqual(tf.expandDims(values, 2), tf.expandDims(knots, 1)), 'int32'), 2));
}

/**
 * Picks each element's bin parameters. `rows` are R tables [C, K] (parameter r of bin k of
 * channel c), `values` [C, N] the elements, `knots` [C, K−1] ascending: an element's bin is the
 * number of knots ≤ it. Returns R tensors [C, N], out[r][c, n] = rows[r][c, bin(c, n)].
 *
 * Differentiable in `rows` (gradient: scatter-add of the incoming gradients into the bins, the
 * exact adjoint of the copy). The bin is piecewise constant in the values and the knots, so no
 * gradient flows to them; they are read only inside the op's forward, which the tape does not
 * record.
 */
export function selectBins(rows: readonly Tensor[], values: Tensor, knots: Tensor): Tensor[] {
  if (rows.length === 0) throw new Error('selectBins: needs at least one parameter row');
  const [C, N] = values.shape as [number, number];
  const K = rows[0]!.shape[1]!;
  if (rows.some((r) => r.rank !== 2 || r.shape[0] !== C || r.shape[1] !== K)) {
    throw new Error(`selectBins: every row must be [${C}, ${K}], got ${rows.map((r) => `[${r.shape}]`).join(', ')}`);
  }
  if (knots.rank !== 2 || knots.shape[0] !== C || knots.shape[1] !== K - 1) {
    throw new Error(`selectBins: ${K} bins need knots [${C}, ${K - 1}], got [${knots.shape}]`);
  }
  return tf.tidy(() => {
    // Row c·K + bin of each channel's table, per element: float arithmetic (exact below 2²⁴),
    // because wasm's broadcasting int32 add is ~30x slower than the float one. Computed once for
    // all rows; taped ops here do not lead to the output (the picks close over the index), so
    // no gradient is asked of SearchSorted.
    const bin = tf.cast(countKnotsBelow(knots, values), 'float32');
    const offsets = tf.reshape(tf.mul(tf.range(0, C, 1, 'float32'), K), [C, 1]);
    const flat = tf.reshape(tf.cast(tf.add(bin, offsets), 'int32'), [C * N, 1]);
    return rows.map((row) => pickRow(row, flat, C, N, K));
  });
}

/** row [C, K] → [C, N], out[c, n] = row.flat[index[c·N + n]]; gradient: scatter-add into the row. */
function pickRow(row: Tensor, index: Tensor, C: number, N: number, K: number): Tensor {
  const pick = tf.customGrad((...args: (Tensor | tf.GradSaveFunc)[]) => {
    const [r, save] = args as [Tensor, tf.GradSaveFunc];
    save([index]);
    return {
      value: tf.reshape(tf.gatherND(tf.reshape(r, [C * K]), index), [C, N]),
      gradFunc: (dy: Tensor, saved: Tensor[]) => tf.reshape(tf.scatterND(saved[0]!, tf.reshape(dy, [C * N]), [C * K]), [C, K]),
    };
  });
  return pick(row);
}
