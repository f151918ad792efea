/**
 * Sec. 6.2 ablation: a contractive squashing bijection inserted between f_aff and f_act
 * (kind 'squash'), with its exact log-det. Parameter-free, elementwise, R → (−1, 1):
 *  - `tanh`:       y = tanh(x),  log y' = log(1 − tanh² x) = 2·(ln 2 − |x| − softplus(−2|x|));
 *  - `normal-cdf`: y = 2Φ(x) − 1 = erf(x/√2), the normal CDF rescaled to (−1, 1) so that it is
 *                  centred like tanh; log y' = ½·ln(2/π) − x²/2.
 * Inverses: atanh, and √2·erfinv(y) (erfinv from Giles' float32 approximation, refined by two
 * Newton steps on tfjs's own erf so that it inverts exactly the erf used forward).
 * In float32 both saturate for |x| beyond ~8 (tanh) / ~5 (cdf); the inverse is then inexact.
 */
import type { LayerDescriptor } from '../../../../src-shared/protocol';
import { type Tensor, type Variable, tf } from '../../tf';
import type { Bijection, ForwardResult, InverseResult } from '../types';

export type SquashKind = 'tanh' | 'normal-cdf';

const LN2 = Math.log(2);
const HALF_LOG_2_OVER_PI = 0.5 * Math.log(2 / Math.PI);

export class Squash implements Bijection {
  readonly variables: readonly Variable[] = [];
  constructor(
    readonly descriptor: LayerDescriptor,
    readonly kind: SquashKind,
  ) {
    if (kind !== 'tanh' && kind !== 'normal-cdf') throw new Error(`${descriptor.name}: unknown squashing "${String(kind)}"`);
  }

  forward(x: Tensor): ForwardResult {
    return tf.tidy(() => {
      const y = this.kind === 'tanh' ? tf.tanh(x) : tf.erf(tf.mul(x, Math.SQRT1_2));
      return { y, logdet: this.logDerivativeSum(x) };
    });
  }

  inverse(y: Tensor): InverseResult {
    return tf.tidy(() => {
      const x = this.kind === 'tanh' ? tf.atanh(y) : tf.mul(erfinv(y), Math.SQRT2);
      return { x, logdet: tf.neg(this.logDerivativeSum(x)) };
    });
  }

  /** Σ log y'(x) per example (the forward log-det at x). */
  private logDerivativeSum(x: Tensor): Tensor {
    const reduce = Array.from({ length: x.rank - 1 }, (_, i) => i + 1);
    if (this.kind === 'tanh') {
      const a = tf.abs(x);
      return tf.sum(tf.mul(tf.sub(tf.sub(LN2, a), tf.softplus(tf.mul(a, -2))), 2), reduce);
    }
    return tf.sum(tf.sub(HALF_LOG_2_OVER_PI, tf.mul(tf.square(x), 0.5)), reduce);
  }
}

/**
 * Inverse error function on (−1, 1) (saturating to ±4 beyond float32's reach). Differentiable
 * with its exact derivative d erfinv(y)/dy = (√π/2)·exp(erfinv(y)²), not through the branch
 * selection and Newton steps below (a comparison has no gradient in tfjs).
 */
export function erfinv(y: Tensor): Tensor {
  const op = tf.customGrad((...args: (Tensor | tf.GradSaveFunc)[]) => {
    const [input, save] = args as [Tensor, tf.GradSaveFunc];
    const x = erfinvValue(input);
    save([x]);
    return {
      value: x,
      gradFunc: (dy: Tensor, saved: Tensor[]) => tf.mul(dy, tf.mul(tf.exp(tf.square(saved[0]!)), Math.sqrt(Math.PI) / 2)),
    };
  });
  return op(y);
}

function erfinvValue(y: Tensor): Tensor {
  return tf.tidy(() => {
    const limit = 1 - 2 ** -23;
    const v = tf.clipByValue(y, -limit, limit);
    // Giles (2010), "Approximating the erfinv function", single-precision branch polynomials.
    const w = tf.neg(tf.log(tf.mul(tf.sub(1, v), tf.add(1, v))));
    const central = poly(tf.sub(w, 2.5), [
      2.81022636e-8, 3.43273939e-7, -3.5233877e-6, -4.39150654e-6, 2.1858087e-4, -1.25372503e-3, -4.17768164e-3,
      2.46640727e-1, 1.50140941,
    ]);
    const tail = poly(tf.sub(tf.sqrt(w), 3), [
      -2.00214257e-4, 1.00950558e-4, 1.34934322e-3, -3.67342844e-3, 5.73950773e-3, -7.6224613e-3, 9.43887047e-3,
      1.00167406, 2.83297682,
    ]);
    let x = tf.mul(tf.where(tf.less(w, 5), central, tail), v);
    // Newton on erf(x) = v: x ← x − (erf x − v)·(√π/2)·exp(x²).
    for (let i = 0; i < 2; i++) {
      const step = tf.mul(tf.sub(tf.erf(x), v), tf.mul(Math.sqrt(Math.PI) / 2, tf.exp(tf.square(x))));
      x = tf.sub(x, step);
    }
    return x;
  });
}

/** Horner evaluation, coefficients from the highest power down. */
function poly(w: Tensor, coefficients: number[]): Tensor {
  let p: Tensor = tf.fill(w.shape, coefficients[0]!);
  for (const c of coefficients.slice(1)) p = tf.add(tf.mul(p, w), c);
  return p;
}
