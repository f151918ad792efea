/**
 * What every f_conv parameterisation shares (Sec. 4.1): a squeeze by k fused with a per-pixel
 * matrix W of size n = k²c whose log|det| is Σ logScale, so
 *   log|det J| = (h·w/k²)·Σ logScale per example,
 * on the device, with no host round trip. Subclasses say only how W and W⁻¹ are built from
 * their variables (invConv.ts: LU form; expQrConv.ts: exp(A)·R, all of GL⁺).
 * Convention: pixels are row vectors, y = x·W (W is the 1×1 filter [c_in, c_out]); vector
 * inputs [batch, d] (2-D toys) use k = 1.
 */
import type { LayerDescriptor } from '../../../../src-shared/protocol';
import { matMul } from '../../ops/matmul';
import { squeeze, unsqueeze } from '../../ops/squeeze';
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
  /** Variable names are `${prefix}<packed>` and `${prefix}logScale`. */
  variablePrefix: string;
}

export abstract class SqueezeConv implements Bijection {
  readonly descriptor: LayerDescriptor;
  readonly variables: readonly Variable[];
  readonly kernel: number;
  readonly channels: number;
  /** Size n = k²c of W. */
  readonly size: number;
  /** n×n: the strictly lower and strictly upper parts hold the subclass's parameters. */
  protected readonly packed: Variable;
  /** The diagonal of W's triangular factor is exp(logScale): log|det W| = Σ logScale. */
  protected readonly logScale: Variable;
  protected readonly lowerMask: Tensor;
  protected readonly upperMask: Tensor;

  /** `packedName` is the packed variable's name after the prefix (`lu`, `qr`): checkpoints use it. */
  constructor(options: InvertibleConvOptions, packedName: string) {
    const { channels, kernel, kappa } = options;
    if (!Number.isInteger(kernel) || kernel < 1) throw new Error(`${options.descriptor.name}: kernel must be a positive integer, got ${kernel}`);
    if (!(kappa > 0) || !Number.isFinite(kappa)) throw new Error(`${options.descriptor.name}: κ must be positive and finite, got ${kappa}`);
    this.descriptor = options.descriptor;
    this.kernel = kernel;
    this.channels = channels;
    const n = kernel * kernel * channels;
    this.size = n;
    // packed = 0 and logScale = log κ give W = κ·I for both parameterisations.
    this.packed = makeVariable(`${options.variablePrefix}${packedName}`, tf.zeros([n, n]));
    this.logScale = makeVariable(`${options.variablePrefix}logScale`, tf.fill([n], Math.log(kappa)));
    this.variables = [this.packed, this.logScale];
    // Constant masks (not variables): owned by the layer, freed by dispose().
    this.lowerMask = tf.tidy(() => tf.sub(tf.linalg.bandPart(tf.ones([n, n]), -1, 0), tf.eye(n)));
    this.upperMask = tf.tidy(() => tf.sub(tf.linalg.bandPart(tf.ones([n, n]), 0, -1), tf.eye(n)));
  }

  /** W [n, n] (differentiable in the variables). */
  abstract weight(): Tensor;
  /** W⁻¹ [n, n] on the device (differentiable in the variables). */
  abstract inverseWeight(): Tensor;
  /** W in float64 on the host, from the float32 parameters (tests and checks only: a host read). */
  abstract weight64(): Float64Array;

  forward(x: Tensor): ForwardResult {
    this.checkInput(x);
    return tf.tidy(() => {
      const sq = squeeze(x, this.kernel);
      const y = this.applyMatrix(sq, this.weight());
      return { y, logdet: this.logdet(sq, 1) };
    });
  }

  inverse(y: Tensor): InverseResult {
    const n = this.size;
    if (y.shape[y.rank - 1] !== n) throw new Error(`${this.descriptor.name}: inverse expects ${n} channels, got shape [${y.shape}]`);
    return tf.tidy(() => ({ x: unsqueeze(this.applyMatrix(y, this.inverseWeight()), this.kernel), logdet: this.logdet(y, -1) }));
  }

  dispose(): void {
    this.lowerMask.dispose();
    this.upperMask.dispose();
    for (const v of this.variables) v.dispose();
  }

  /** ±(pixels)·Σ logScale for each example of the squeezed tensor `sq`. */
  private logdet(sq: Tensor, sign: 1 | -1): Tensor {
    const pixels = sq.rank === 4 ? sq.shape[1]! * sq.shape[2]! : 1;
    return tf.mul(tf.mul(tf.sum(this.logScale), sign * pixels), tf.ones([sq.shape[0]!]));
  }

  /** v·M over the last axis, for [batch, n] or [batch, h, w, n]. */
  private applyMatrix(v: Tensor, m: Tensor): Tensor {
    if (v.rank === 2) return matMul(v, m);
    return tf.reshape(matMul(tf.reshape(v, [-1, this.size]), m), v.shape);
  }

  private checkInput(x: Tensor): void {
    if ((x.rank !== 2 && x.rank !== 4) || x.shape[x.rank - 1] !== this.channels) {
      throw new Error(`${this.descriptor.name}: expects [batch, ${this.channels}] or [batch, h, w, ${this.channels}], got [${x.shape}]`);
    }
    if (x.rank === 2 && this.kernel !== 1) throw new Error(`${this.descriptor.name}: vector inputs need kernel 1, got ${this.kernel}`);
  }
}
