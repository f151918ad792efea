/**
 * Parameter-free volume-preserving layers of the baselines (log|det J| = 0):
 *  - `ChannelPermutation`: RealNVP/Glow's reverse or a fixed (seeded) random shuffle of the
 *    channels. The shuffle is a matmul with a permutation matrix, not a gather: the gradient of
 *    gather needs UnsortedSegmentSum, which wasm lacks (docs/STACK notes).
 *  - `SqueezeLayer`: space-to-depth by k (ops/squeeze.ts) as a layer of its own, where a
 *    baseline squeezes without a k×k convolution (Glow's level opening, RealNVP mid-scale).
 */
import type { LayerDescriptor } from '../../../../src-shared/protocol';
import { matMul } from '../../ops/matmul';
import { squeeze, unsqueeze } from '../../ops/squeeze';
import { type Tensor, type Variable, tf } from '../../tf';
import type { Bijection, ForwardResult, InverseResult } from '../types';

const zeros = (x: Tensor): Tensor => tf.zeros([x.shape[0]!]);

/** A seeded Fisher–Yates shuffle of 0..n−1 (mulberry32), the same for the same seed. */
export function seededPermutation(n: number, seed: number): number[] {
  const order = Array.from({ length: n }, (_, i) => i);
  let a = seed >>> 0;
  const next = (): number => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(next() * (i + 1));
    [order[i], order[j]] = [order[j]!, order[i]!];
  }
  return order;
}

export class ChannelPermutation implements Bijection {
  readonly variables: readonly Variable[] = [];
  /** y[..., i] = x[..., order[i]]. */
  readonly order: readonly number[];
  private readonly matrix: Tensor | null;
  private readonly inverseMatrix: Tensor | null;

  constructor(
    readonly descriptor: LayerDescriptor,
    readonly channels: number,
    kind: 'reverse' | 'shuffle',
    seed: number,
  ) {
    this.order = kind === 'reverse' ? Array.from({ length: channels }, (_, i) => channels - 1 - i) : seededPermutation(channels, seed);
    if (kind === 'reverse') {
      this.matrix = null;
      this.inverseMatrix = null;
    } else {
      // P[order[i], i] = 1, so (x·P)[i] = x[order[i]]; P⁻¹ = Pᵀ.
      const p = new Float32Array(channels * channels);
      this.order.forEach((from, to) => {
        p[from * channels + to] = 1;
      });
      this.matrix = tf.tensor2d(p, [channels, channels]);
      this.inverseMatrix = tf.transpose(this.matrix);
    }
  }

  forward(x: Tensor): ForwardResult {
    return tf.tidy(() => ({ y: this.apply(x, this.matrix), logdet: zeros(x) }));
  }

  inverse(y: Tensor): InverseResult {
    return tf.tidy(() => ({ x: this.apply(y, this.inverseMatrix), logdet: zeros(y) }));
  }

  private apply(x: Tensor, m: Tensor | null): Tensor {
    if ((x.rank !== 2 && x.rank !== 4) || x.shape[x.rank - 1] !== this.channels) {
      throw new Error(`${this.descriptor.name}: expects [batch, ${this.channels}] or [batch, h, w, ${this.channels}], got [${x.shape}]`);
    }
    if (m === null) return tf.reverse(x, -1);
    return tf.reshape(matMul(tf.reshape(x, [-1, this.channels]), m), x.shape);
  }

  dispose(): void {
    this.matrix?.dispose();
    this.inverseMatrix?.dispose();
  }
}

export class SqueezeLayer implements Bijection {
  readonly variables: readonly Variable[] = [];
  constructor(
    readonly descriptor: LayerDescriptor,
    readonly factor: number,
  ) {}
  forward(x: Tensor): ForwardResult {
    return tf.tidy(() => ({ y: squeeze(x, this.factor), logdet: zeros(x) }));
  }
  inverse(y: Tensor): InverseResult {
    return tf.tidy(() => ({ x: unsqueeze(y, this.factor), logdet: zeros(y) }));
  }
}
