/**
 * f_conv with a weight that can reach every matrix of positive determinant (GL⁺), for the
 * comparison with the LU form in docs/flow.md ("Which matrices the LU form reaches"):
 *   W = exp(A)·R,   A = S − Sᵀ skew-symmetric (S the strictly lower part of `qr`),
 *                   R = strictly upper part of `qr` + diag(exp(logScale)).
 * exp(A) is a rotation (det 1) and R is upper-triangular with a positive diagonal, so
 * log|det W| = Σ logScale exactly as for the LU form, on the device. Every W with det W > 0 has
 * a QR factorisation W = Q·R with Q ∈ SO(n) and R's diagonal positive, and exp maps the skew
 * matrices onto SO(n): so all of GL⁺ is reachable. At initialisation qr = 0, logScale = log κ:
 * W = κ·I, like the LU form.
 *
 * exp(A) on the device: scaling and squaring with a fixed k = 5 (no host read for the norm)
 * and a degree-10 Taylor polynomial, 15 n×n matmuls per call. Accurate to ~1e-6 while
 * ‖A‖ ≤ 32 (remainder ≤ 2^5·1/11! ≈ 8e-7, float32 rounding amplified 2^5 times); beyond, the
 * computed exp(A) drifts from a rotation and Σ logScale from the true log|det|.
 * Same squeeze and row-vector convention as invConv.ts (y = x·W per pixel). The inverse uses
 * W⁻¹ rebuilt in float64 on the host (sampling path only), as invConv.ts does.
 */
import type { LayerDescriptor } from '../../../../src-shared/protocol';
import { expm } from '../../numeric/expm';
import { inverse as inverse64, matmul as matmul64 } from '../../numeric/lu';
import { matMul } from '../../ops/matmul';
import { squeeze, unsqueeze } from '../../ops/squeeze';
import { type Tensor, type Variable, tf } from '../../tf';
import type { Bijection, ForwardResult, InverseResult } from '../types';
import { makeVariable } from '../variables';
import type { InvertibleConvOptions } from './invConv';

const SQUARINGS = 5;
const TAYLOR_DEGREE = 10;

export class ExpQrConv implements Bijection {
  readonly descriptor: LayerDescriptor;
  readonly variables: readonly Variable[];
  readonly kernel: number;
  readonly channels: number;
  readonly size: number;
  private readonly qr: Variable;
  private readonly logScale: Variable;
  private readonly lowerMask: Tensor;
  private readonly upperMask: Tensor;

  /** Variables `${prefix}qr` (n×n, packed) and `${prefix}logScale`. */
  constructor(options: InvertibleConvOptions) {
    const { channels, kernel, kappa } = options;
    if (!Number.isInteger(kernel) || kernel < 1) throw new Error(`${options.descriptor.name}: kernel must be a positive integer, got ${kernel}`);
    if (!(kappa > 0) || !Number.isFinite(kappa)) throw new Error(`${options.descriptor.name}: κ must be positive and finite, got ${kappa}`);
    this.descriptor = options.descriptor;
    this.kernel = kernel;
    this.channels = channels;
    const n = kernel * kernel * channels;
    this.size = n;
    this.qr = makeVariable(`${options.variablePrefix}qr`, tf.zeros([n, n]));
    this.logScale = makeVariable(`${options.variablePrefix}logScale`, tf.fill([n], Math.log(kappa)));
    this.variables = [this.qr, this.logScale];
    this.lowerMask = tf.tidy(() => tf.sub(tf.linalg.bandPart(tf.ones([n, n]), -1, 0), tf.eye(n)));
    this.upperMask = tf.tidy(() => tf.sub(tf.linalg.bandPart(tf.ones([n, n]), 0, -1), tf.eye(n)));
  }

  /** W [n, n] (differentiable in the variables). */
  weight(): Tensor {
    return tf.tidy(() => {
      const n = this.size;
      const s = tf.mul(this.qr, this.lowerMask);
      const b = tf.mul(tf.sub(s, tf.transpose(s)), 2 ** -SQUARINGS);
      const eye = tf.eye(n);
      // Horner: T = I + B(I + B/2(… (I + B/10))).
      let t: Tensor = eye;
      for (let term = TAYLOR_DEGREE; term >= 1; term--) t = tf.add(eye, tf.div(matMul(b, t), term));
      for (let i = 0; i < SQUARINGS; i++) t = matMul(t, t);
      const r = tf.add(tf.mul(this.qr, this.upperMask), tf.mul(eye, tf.exp(this.logScale)));
      return matMul(t, r);
    });
  }

  /** W in float64 on the host: exp(A) by numeric/expm (adaptive scaling), times R. */
  weight64(): Float64Array {
    const n = this.size;
    const qr = this.qr.dataSync();
    const logScale = this.logScale.dataSync();
    const skew = new Float64Array(n * n);
    const r = new Float64Array(n * n);
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < n; j++) {
        if (i > j) {
          skew[i * n + j] = qr[i * n + j]!;
          skew[j * n + i] = -qr[i * n + j]!;
        } else if (i === j) r[i * n + j] = Math.exp(logScale[i]!);
        else r[i * n + j] = qr[i * n + j]!;
      }
    }
    return matmul64(expm(skew, n), r, n, n, n);
  }

  forward(x: Tensor): ForwardResult {
    this.checkInput(x);
    return tf.tidy(() => {
      const sq = squeeze(x, this.kernel);
      const y = this.applyMatrix(sq, this.weight());
      const pixels = sq.rank === 4 ? sq.shape[1]! * sq.shape[2]! : 1;
      return { y, logdet: tf.mul(tf.mul(tf.sum(this.logScale), pixels), tf.ones([x.shape[0]!])) };
    });
  }

  inverse(y: Tensor): InverseResult {
    const n = this.size;
    if (y.shape[y.rank - 1] !== n) throw new Error(`${this.descriptor.name}: inverse expects ${n} channels, got shape [${y.shape}]`);
    const winv = Float32Array.from(inverse64(this.weight64(), n));
    return tf.tidy(() => {
      const pixels = y.rank === 4 ? y.shape[1]! * y.shape[2]! : 1;
      const logdet = tf.mul(tf.mul(tf.sum(this.logScale), -pixels), tf.ones([y.shape[0]!]));
      return { x: unsqueeze(this.applyMatrix(y, tf.tensor2d(winv, [n, n])), this.kernel), logdet };
    });
  }

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

  dispose(): void {
    this.lowerMask.dispose();
    this.upperMask.dispose();
    for (const v of this.variables) v.dispose();
  }
}
