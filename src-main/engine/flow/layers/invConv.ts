/**
 * f_conv: the invertible k×k convolution with stride k (Sec. 4.1), a squeeze by k fused with a
 * 1×1 convolution whose weight W is n×n, n = k²c. h×w×c → h/k×w/k×k²c, and
 *   log|det J| = (h·w/k²)·log|det W| per example.
 * Vector inputs [batch, d] (2-D toys) use the same layer with k = 1: y = x·W.
 *
 * Convention: pixels are row vectors, y = x·W (W is the 1×1 filter [c_in, c_out]).
 *
 * Parameterisation (decision, see docs/flow.md): W = L·(U + diag(exp(logScale))) with L unit
 * lower-triangular and U strictly upper-triangular (Glow's LU form, with the permutation fixed
 * to I because the initialisation κ·I needs none). Then log|det W| = Σ logScale: computed on
 * the device, no host round-trip on the training path, and W is invertible by construction
 * (det W > 0 always; a full matrix started at κ·I can never leave det > 0 either, since
 * log|det| → −∞ there, so both describe the same set of maps). L and U are stored packed in
 * one n×n variable `lu` (the diagonal of `lu` is unused and gets zero gradient).
 * The inverse needs W⁻¹ = U⁻¹·L⁻¹: triangular inverses by the exact nilpotent series of
 * ops/triangular.ts, on the device (no host read; cheap enough to run every step when inputs are
 * recomputed from outputs). `weight64` rebuilds W in float64 on the host for checks only.
 */
import type { LayerDescriptor } from '../../../../src-shared/protocol';
import { matmul as matmul64 } from '../../numeric/lu';
import { matMul } from '../../ops/matmul';
import { squeeze, unsqueeze } from '../../ops/squeeze';
import { luInverse } from '../../ops/triangular';
import { type Tensor, type Variable, tf } from '../../tf';
import type { Bijection, ForwardResult, InverseResult } from '../types';
import { makeVariable } from '../variables';

export interface InvertibleConvOptions {
  descriptor: LayerDescriptor;
  /** Channels c of the input (d for vectors). */
  channels: number;
  /** Kernel size and stride k (1 for vectors). */
  kernel: number;
  /** W = κ·I at initialisation. */
  kappa: number;
  /** Variable names are `${prefix}lu` and `${prefix}logScale`. */
  variablePrefix: string;
}

export class InvertibleConv implements Bijection {
  readonly descriptor: LayerDescriptor;
  readonly variables: readonly Variable[];
  readonly kernel: number;
  readonly channels: number;
  /** Size n = k²c of W. */
  readonly size: number;
  private readonly lu: Variable;
  private readonly logScale: Variable;
  private readonly lowerMask: Tensor;
  private readonly upperMask: Tensor;

  constructor(options: InvertibleConvOptions) {
    const { channels, kernel, kappa } = options;
    if (!Number.isInteger(kernel) || kernel < 1) throw new Error(`${options.descriptor.name}: kernel must be a positive integer, got ${kernel}`);
    if (!(kappa > 0) || !Number.isFinite(kappa)) throw new Error(`${options.descriptor.name}: κ must be positive and finite, got ${kappa}`);
    this.descriptor = options.descriptor;
    this.kernel = kernel;
    this.channels = channels;
    const n = kernel * kernel * channels;
    this.size = n;
    this.lu = makeVariable(`${options.variablePrefix}lu`, tf.zeros([n, n]));
    this.logScale = makeVariable(`${options.variablePrefix}logScale`, tf.fill([n], Math.log(kappa)));
    this.variables = [this.lu, this.logScale];
    // Constant masks (not variables): owned by the layer, freed by dispose().
    this.lowerMask = tf.tidy(() => tf.sub(tf.linalg.bandPart(tf.ones([n, n]), -1, 0), tf.eye(n)));
    this.upperMask = tf.tidy(() => tf.sub(tf.linalg.bandPart(tf.ones([n, n]), 0, -1), tf.eye(n)));
  }

  /** W [n, n] as a tensor (differentiable in the variables). */
  weight(): Tensor {
    return tf.tidy(() => {
      const lower = tf.add(tf.mul(this.lu, this.lowerMask), tf.eye(this.size));
      const upper = tf.add(tf.mul(this.lu, this.upperMask), tf.mul(tf.eye(this.size), tf.exp(this.logScale)));
      return matMul(lower, upper);
    });
  }

  /** W⁻¹ [n, n] on the device (differentiable in the variables). */
  inverseWeight(): Tensor {
    return tf.tidy(() => luInverse(tf.mul(this.lu, this.lowerMask), tf.mul(this.lu, this.upperMask), this.logScale));
  }

  /** W in float64 on the host, from the float32 parameters (tests and checks only: a host read). */
  weight64(): Float64Array {
    const n = this.size;
    const lu = this.lu.dataSync();
    const logScale = this.logScale.dataSync();
    const lower = new Float64Array(n * n);
    const upper = new Float64Array(n * n);
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < n; j++) {
        if (i > j) lower[i * n + j] = lu[i * n + j]!;
        else if (i === j) {
          lower[i * n + j] = 1;
          upper[i * n + j] = Math.exp(logScale[i]!);
        } else upper[i * n + j] = lu[i * n + j]!;
      }
    }
    return matmul64(lower, upper, n, n, n);
  }

  forward(x: Tensor): ForwardResult {
    this.checkInput(x);
    return tf.tidy(() => {
      const batch = x.shape[0]!;
      const sq = squeeze(x, this.kernel);
      const y = this.applyMatrix(sq, this.weight());
      const pixels = sq.rank === 4 ? sq.shape[1]! * sq.shape[2]! : 1;
      const logdet = tf.mul(tf.mul(tf.sum(this.logScale), pixels), tf.ones([batch]));
      return { y, logdet };
    });
  }

  inverse(y: Tensor): InverseResult {
    const n = this.size;
    if (y.shape[y.rank - 1] !== n) throw new Error(`${this.descriptor.name}: inverse expects ${n} channels, got shape [${y.shape}]`);
    return tf.tidy(() => {
      const pixels = y.rank === 4 ? y.shape[1]! * y.shape[2]! : 1;
      const logdet = tf.mul(tf.mul(tf.sum(this.logScale), -pixels), tf.ones([y.shape[0]!]));
      return { x: unsqueeze(this.applyMatrix(y, this.inverseWeight()), this.kernel), logdet };
    });
  }

  /** v·M over the last axis, for [batch, n] or [batch, h, w, n]. */
  private applyMatrix(v: Tensor, m: Tensor): Tensor {
    const n = this.size;
    if (v.rank === 2) return matMul(v, m);
    const flat = matMul(tf.reshape(v, [-1, n]), m);
    return tf.reshape(flat, v.shape);
  }

  private checkInput(x: Tensor): void {
    const c = x.shape[x.rank - 1];
    if ((x.rank !== 2 && x.rank !== 4) || c !== this.channels) {
      throw new Error(
        `${this.descriptor.name}: expects [batch, ${this.channels}] or [batch, h, w, ${this.channels}], got [${x.shape}]`,
      );
    }
    if (x.rank === 2 && this.kernel !== 1) throw new Error(`${this.descriptor.name}: vector inputs need kernel 1, got ${this.kernel}`);
  }

  dispose(): void {
    this.lowerMask.dispose();
    this.upperMask.dispose();
    for (const v of this.variables) v.dispose();
  }
}
