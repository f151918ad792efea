/**
 * f_conv: the invertible k×k convolution with stride k (Sec. 4.1), a squeeze by k fused with a
 * 1×1 convolution whose weight W is n×n, n = k²c. h×w×c → h/k×w/k×k²c, and
 *   log|det J| = (h·w/k²)·log|det W| per example (the shared part: squeezeConv.ts).
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
import { matmul as matmul64 } from '../../numeric/lu';
import { matMul } from '../../ops/matmul';
import { luInverse } from '../../ops/triangular';
import { type Tensor, tf } from '../../tf';
import { type InvertibleConvOptions, SqueezeConv } from './squeezeConv';

export type { InvertibleConvOptions } from './squeezeConv';

export class InvertibleConv extends SqueezeConv {
  /** Variables `${prefix}lu` (L and U packed, n×n) and `${prefix}logScale`. */
  constructor(options: InvertibleConvOptions) {
    super(options, 'lu');
  }

  weight(): Tensor {
    return tf.tidy(() => {
      const lower = tf.add(tf.mul(this.packed, this.lowerMask), tf.eye(this.size));
      const upper = tf.add(tf.mul(this.packed, this.upperMask), tf.mul(tf.eye(this.size), tf.exp(this.logScale)));
      return matMul(lower, upper);
    });
  }

  inverseWeight(): Tensor {
    return tf.tidy(() => luInverse(tf.mul(this.packed, this.lowerMask), tf.mul(this.packed, this.upperMask), this.logScale));
  }

  weight64(): Float64Array {
    const n = this.size;
    const lu = this.packed.dataSync();
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
}
