/**
 * Inverses of triangular matrices on the device, for the LU-parameterised 1×1 convolution
 * (tfjs has no matrix inverse or triangular solve, tfjs issue 8173).
 *
 * A strictly triangular n×n matrix N is nilpotent (Nⁿ = 0), so with A = −N
 *   (I + N)⁻¹ = Σ_{k<n} Aᵏ = Π_{j<m} (I + A^{2^j}),   2^m ≥ n,
 * an exact identity (the factors commute, and their product expands to every power below 2^m
 * once). That is 2(m − 1) + 1 matmuls: 11 for n = 48, each a plain product that every backend
 * runs fast, no host round trip, differentiable.
 */
import { type Tensor, tf } from '../tf';
import { matMul } from './matmul';

/** (I + N)⁻¹ for a strictly (lower or upper) triangular N [n, n]. */
export function unitTriangularInverse(strict: Tensor): Tensor {
  if (strict.rank !== 2 || strict.shape[0] !== strict.shape[1]) {
    throw new Error(`unitTriangularInverse: needs a square matrix, got [${strict.shape}]`);
  }
  const n = strict.shape[0]!;
  return tf.tidy(() => {
    const eye = tf.eye(n);
    const a = tf.neg(strict);
    let power = a; // A^{2^j}
    let product = tf.add(eye, a); // Π_{i ≤ j} (I + A^{2^i}) = Σ_{k < 2^{j+1}} Aᵏ
    for (let covered = 2; covered < n; covered *= 2) {
      power = matMul(power, power);
      product = tf.add(product, matMul(product, power));
    }
    return product;
  });
}

/**
 * W⁻¹ for W = L·U with L = I + lower (lower strictly lower-triangular) and
 * U = diag(exp(logDiag)) + upper (upper strictly upper-triangular):
 *   W⁻¹ = U⁻¹·L⁻¹,   U = D·(I + D⁻¹·upper)  ⇒  U⁻¹ = (I + D⁻¹·upper)⁻¹·D⁻¹.
 */
export function luInverse(lower: Tensor, upper: Tensor, logDiag: Tensor): Tensor {
  const n = lower.shape[0]!;
  if (upper.shape[0] !== n || logDiag.rank !== 1 || logDiag.shape[0] !== n) {
    throw new Error(`luInverse: needs [n, n], [n, n] and [n], got [${lower.shape}], [${upper.shape}] and [${logDiag.shape}]`);
  }
  return tf.tidy(() => {
    const invDiag = tf.exp(tf.neg(logDiag));
    const lowerInv = unitTriangularInverse(lower);
    // D⁻¹·upper scales row i by e^{−sᵢ}; (·)·D⁻¹ scales column j by e^{−sⱼ}.
    const scaled = tf.mul(upper, tf.reshape(invDiag, [n, 1]));
    const upperInv = tf.mul(unitTriangularInverse(scaled), tf.reshape(invDiag, [1, n]));
    return matMul(upperInv, lowerInv);
  });
}
