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
 * Same squeeze and row-vector convention as invConv.ts (y = x·W per pixel). The inverse is on
 * the device too: W⁻¹ = R⁻¹·exp(−A), R⁻¹ by the triangular series of ops/triangular.ts and
 * exp(−A) by the same polynomial (p(B)·p(−B) = I up to the Taylor remainder, so the computed
 * exp(−A) inverts the computed exp(A) to ~1e-6).
 */
import { expm } from '../../numeric/expm';
import { matmul as matmul64 } from '../../numeric/lu';
import { matMul } from '../../ops/matmul';
import { upperInverse } from '../../ops/triangular';
import { type Tensor, tf } from '../../tf';
import { type InvertibleConvOptions, SqueezeConv } from './squeezeConv';

const SQUARINGS = 5;
const TAYLOR_DEGREE = 10;

export class ExpQrConv extends SqueezeConv {
  /** Variables `${prefix}qr` (n×n, packed) and `${prefix}logScale`. */
  constructor(options: InvertibleConvOptions) {
    super(options, 'qr');
  }

  weight(): Tensor {
    return tf.tidy(() => {
      const r = tf.add(tf.mul(this.packed, this.upperMask), tf.mul(tf.eye(this.size), tf.exp(this.logScale)));
      return matMul(this.rotation(1), r);
    });
  }

  inverseWeight(): Tensor {
    return tf.tidy(() => matMul(upperInverse(tf.mul(this.packed, this.upperMask), this.logScale), this.rotation(-1)));
  }

  /** exp(±A) by scaling and squaring of the Taylor polynomial (call inside a tidy). */
  private rotation(sign: 1 | -1): Tensor {
    const s = tf.mul(this.packed, this.lowerMask);
    const b = tf.mul(tf.sub(s, tf.transpose(s)), sign * 2 ** -SQUARINGS);
    const eye = tf.eye(this.size);
    // Horner: T = I + B(I + B/2(… (I + B/10))).
    let t: Tensor = eye;
    for (let term = TAYLOR_DEGREE; term >= 1; term--) t = tf.add(eye, tf.div(matMul(b, t), term));
    for (let i = 0; i < SQUARINGS; i++) t = matMul(t, t);
    return t;
  }

  /** W in float64 on the host: exp(A) by numeric/expm (adaptive scaling), times R (checks only). */
  weight64(): Float64Array {
    const n = this.size;
    const qr = this.packed.dataSync();
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
}
