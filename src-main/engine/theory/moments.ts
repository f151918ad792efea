/**
 * Streaming first and second moments of a dataset in float64, chunk by chunk.
 *
 * Values are shifted by a fixed offset o before accumulating (Σ(x−o), Σ(x−o)(x−o)ᵀ): the
 * covariance G/N − s sᵀ then subtracts numbers of the size of the spread, not of the mean.
 *
 * Integer images use tfjs matmuls for the Gram matrix, and the result is still exact: with
 * o = 2^{n−1} every |k − o| ≤ 2^{n−1}, each product is an integer ≤ 4^{n−1}, and a chunk of at
 * most 2^24 / 4^{n−1} examples (1024 for 8-bit data) keeps every partial sum an integer below
 * 2^24, which float32 represents exactly whatever the summation order. Chunks are then added
 * in float64 on the host.
 */
import { tf } from '../tf';

export type GramMode = 'none' | 'host' | 'tensor';

export class MomentAccumulator {
  /** Examples seen. */
  count = 0;
  /** Σ (x − o), float64. */
  readonly sum: Float64Array;
  /** Σ (x − o)(x − o)ᵀ, row-major d × d, float64 (empty when gram is 'none'). */
  readonly gram: Float64Array;
  readonly offset: Float64Array;

  constructor(
    readonly dims: number,
    readonly mode: GramMode,
    offset: number | Float64Array = 0,
  ) {
    if (!Number.isInteger(dims) || dims < 1) throw new Error(`moments: dims must be a positive integer, got ${dims}`);
    this.sum = new Float64Array(dims);
    this.gram = new Float64Array(mode === 'none' ? 0 : dims * dims);
    this.offset = typeof offset === 'number' ? new Float64Array(dims).fill(offset) : Float64Array.from(offset);
    if (this.offset.length !== dims) throw new Error(`moments: offset has ${this.offset.length} values, expected ${dims}`);
  }

  /**
   * Adds n examples of n-bit integers (n·d values, each example contiguous). The offset must be
   * 2^{bits−1} for the exact tensor Gram (checked).
   */
  async addIntegers(data: Uint8Array, n: number, bits: number): Promise<void> {
    const d = this.dims;
    if (data.length !== n * d) throw new Error(`moments: batch has ${data.length} values, expected ${n}×${d}`);
    if (!Number.isInteger(bits) || bits < 1 || bits > 8) throw new Error(`moments: bits must be in [1, 8], got ${bits}`);
    const centre = 2 ** (bits - 1);
    const limit = 2 ** bits;
    for (let i = 0; i < data.length; i++) {
      if (data[i]! >= limit) throw new Error(`moments: value ${data[i]} at index ${i} does not fit in ${bits} bits`);
    }
    if (this.mode !== 'tensor') {
      this.addFloats(data, n);
      return;
    }
    for (let j = 0; j < d; j++) {
      if (this.offset[j] !== centre) throw new Error(`moments: the exact tensor Gram needs offset ${centre} for ${bits}-bit data`);
    }
    const chunk = Math.max(1, Math.min(1024, Math.floor(2 ** 24 / centre ** 2)));
    for (let start = 0; start < n; start += chunk) {
      const m = Math.min(chunk, n - start);
      const shifted = new Float32Array(m * d);
      for (let i = 0; i < m * d; i++) shifted[i] = data[start * d + i]! - centre;
      for (let e = 0; e < m; e++) {
        for (let j = 0; j < d; j++) this.sum[j]! += shifted[e * d + j]!;
      }
      const g = tf.tidy(() => {
        const x = tf.tensor2d(shifted, [m, d]);
        // An explicit transpose: wasm's matMul with transposeA is ~25× slower than the plain one.
        return tf.matMul(tf.transpose(x), x);
      });
      const values = await g.data();
      g.dispose();
      for (let i = 0; i < d * d; i++) this.gram[i]! += values[i]!;
      this.count += m;
    }
  }

  /** Adds n examples of any real values in float64 on the host (O(n·d²) with a Gram). */
  addFloats(data: ArrayLike<number>, n: number): void {
    const d = this.dims;
    if (data.length !== n * d) throw new Error(`moments: batch has ${data.length} values, expected ${n}×${d}`);
    const row = new Float64Array(d);
    for (let e = 0; e < n; e++) {
      for (let j = 0; j < d; j++) {
        const value = data[e * d + j]!;
        if (!Number.isFinite(value)) throw new Error(`moments: example ${this.count} has a non-finite value at dimension ${j}`);
        row[j] = value - this.offset[j]!;
        this.sum[j]! += row[j]!;
      }
      if (this.mode !== 'none') {
        for (let i = 0; i < d; i++) {
          const ri = row[i]!;
          if (ri === 0) continue;
          const base = i * d;
          // Lower triangle only; covariance() mirrors it.
          for (let j = 0; j <= i; j++) this.gram[base + j]! += ri * row[j]!;
        }
      }
      this.count++;
    }
  }

  mean(): Float64Array {
    if (this.count === 0) throw new Error('moments: no examples were added');
    const m = new Float64Array(this.dims);
    for (let j = 0; j < this.dims; j++) m[j] = this.offset[j]! + this.sum[j]! / this.count;
    return m;
  }

  /** Maximum-likelihood covariance (divides by N), row-major d × d, symmetric. */
  covariance(): Float64Array {
    if (this.mode === 'none') throw new Error('moments: covariance needs a Gram matrix (mode "host" or "tensor")');
    if (this.count === 0) throw new Error('moments: no examples were added');
    const d = this.dims;
    const n = this.count;
    const cov = new Float64Array(d * d);
    for (let i = 0; i < d; i++) {
      const si = this.sum[i]! / n;
      for (let j = 0; j <= i; j++) {
        // Host adds maintain only the lower triangle (tensor adds both): read the lower one.
        const value = this.gram[i * d + j]! / n - si * (this.sum[j]! / n);
        cov[i * d + j] = value;
        cov[j * d + i] = value;
      }
    }
    return cov;
  }
}
