/**
 * The rational-quadratic spline of Neural Spline Flows (Durkan et al. 2019, Sec. 3.1; nflows'
 * `unconstrained_rational_quadratic_spline`) with per-element parameters, as device ops: K bins
 * on [−B, B] with linear (identity) tails outside, bin widths and heights
 *   w = w_min + (1 − K·w_min)·softmax(θ_w)  (× 2B),   the same for heights,
 * inner knot derivatives d = d_min + softplus(θ_d) and d = 1 at ±B (so the tails join with
 * slope 1). Each element's bin is found and its parameters picked by ops/binSelect.ts (no host
 * read, no gather gradient). Inputs are clamped into [−B, B] before the spline is computed and
 * the tails selected afterwards, so out-of-domain branches give no NaN gradients.
 */
import { selectBins } from '../../ops/binSelect';
import { type Tensor, tf } from '../../tf';

export const MIN_BIN_WIDTH = 1e-3;
export const MIN_BIN_HEIGHT = 1e-3;
export const MIN_DERIVATIVE = 1e-3;

/** θ_d giving derivative exactly 1 (the identity spline with θ_w = θ_h = 0). */
export function identityDerivativeLogit(): number {
  const v = 1 - MIN_DERIVATIVE;
  return v + Math.log(-Math.expm1(-v));
}

interface Knots {
  /** [E, K] each: left knot x and y, width, height, derivative at the left and right knot. */
  rows: { x0: Tensor; y0: Tensor; w: Tensor; h: Tensor; d0: Tensor; d1: Tensor };
  /** [E, K − 1] inner knots. */
  innerX: Tensor;
  innerY: Tensor;
}

function normalised(theta: Tensor, bins: number, min: number, bound: number): { left: Tensor; size: Tensor; inner: Tensor } {
  const E = theta.shape[0]!;
  const sizes = tf.add(min, tf.mul(1 - min * bins, tf.softmax(theta)));
  const cum = tf.cumsum(sizes, 1);
  // Knots −B, …, B; the last forced to B exactly (the cumsum may round to 1 ± ulp).
  const inner = tf.sub(tf.mul(tf.slice(cum, [0, 0], [E, bins - 1]), 2 * bound), bound);
  const edge = (v: number): Tensor => tf.fill([E, 1], v);
  const knots = tf.concat([edge(-bound), inner, edge(bound)], 1);
  const left = tf.slice(knots, [0, 0], [E, bins]);
  const size = tf.sub(tf.slice(knots, [0, 1], [E, bins]), left);
  return { left, size, inner };
}

function knots(theta: Tensor, bins: number, bound: number): Knots {
  const E = theta.shape[0]!;
  const [tw, th, td] = tf.split(theta, [bins, bins, bins - 1], 1) as [Tensor, Tensor, Tensor];
  const x = normalised(tw, bins, MIN_BIN_WIDTH, bound);
  const y = normalised(th, bins, MIN_BIN_HEIGHT, bound);
  const one = tf.ones([E, 1]);
  const d = tf.concat([one, tf.add(MIN_DERIVATIVE, tf.softplus(td)), one], 1);
  return {
    rows: { x0: x.left, y0: y.left, w: x.size, h: y.size, d0: tf.slice(d, [0, 0], [E, bins]), d1: tf.slice(d, [0, 1], [E, bins]) },
    innerX: x.inner,
    innerY: y.inner,
  };
}

function pick(k: Knots, v: Tensor, byY: boolean): { x0: Tensor; y0: Tensor; w: Tensor; h: Tensor; d0: Tensor; d1: Tensor } {
  const r = k.rows;
  const [x0, y0, w, h, d0, d1] = selectBins([r.x0, r.y0, r.w, r.h, r.d0, r.d1], v, byY ? k.innerY : k.innerX) as [Tensor, Tensor, Tensor, Tensor, Tensor, Tensor];
  return { x0, y0, w, h, d0, d1 };
}

/** log of the spline's derivative at ξ in a bin (Durkan et al. Eq. 5). */
function logDerivative(p: { w: Tensor; h: Tensor; d0: Tensor; d1: Tensor }, xi: Tensor): Tensor {
  const s = tf.div(p.h, p.w);
  const t = tf.mul(xi, tf.sub(1, xi));
  const den = tf.add(s, tf.mul(tf.sub(tf.add(p.d0, p.d1), tf.mul(s, 2)), t));
  const num = tf.mul(tf.square(s), tf.add(tf.add(tf.mul(p.d1, tf.square(xi)), tf.mul(tf.mul(s, 2), t)), tf.mul(p.d0, tf.square(tf.sub(1, xi)))));
  return tf.sub(tf.log(num), tf.mul(tf.log(den), 2));
}

/**
 * x [E] and raw parameters θ [E, 3K − 1] → y [E] and log|dy/dx| [E]; with `inverse`, the
 * inverse map (y → x, its log-derivative = −forward's at x).
 */
export function rqSpline(v: Tensor, theta: Tensor, bins: number, bound: number, inverse: boolean): { out: Tensor; logDerivative: Tensor } {
  return tf.tidy(() => {
    const E = v.shape[0]!;
    const k = knots(theta, bins, bound);
    // 1 inside (−B, B), 0 outside: a step (its gradient is zero; comparisons have none in tfjs).
    const inside = tf.step(tf.sub(bound, tf.abs(v)));
    const clamped = tf.reshape(tf.clipByValue(v, -bound, bound), [E, 1]);
    const p = pick(k, clamped, inverse);
    const c = tf.reshape(clamped, [E]);
    const flat = (t: Tensor): Tensor => tf.reshape(t, [E]);
    const [x0, y0, w, h, d0, d1] = [p.x0, p.y0, p.w, p.h, p.d0, p.d1].map(flat) as [Tensor, Tensor, Tensor, Tensor, Tensor, Tensor];
    const s = tf.div(h, w);
    const rho = tf.sub(tf.add(d0, d1), tf.mul(s, 2));
    let out: Tensor;
    let logDet: Tensor;
    if (!inverse) {
      const xi = tf.clipByValue(tf.div(tf.sub(c, x0), w), 0, 1);
      const t = tf.mul(xi, tf.sub(1, xi));
      const num = tf.mul(h, tf.add(tf.mul(s, tf.square(xi)), tf.mul(d0, t)));
      const den = tf.add(s, tf.mul(rho, t));
      out = tf.add(y0, tf.div(num, den));
      logDet = logDerivative({ w, h, d0, d1 }, xi);
    } else {
      // The quadratic a·ξ² + b·ξ + c = 0 in ξ, solved with the cancellation-free root 2c/(−b − √(b² − 4ac)).
      const dy = tf.sub(c, y0);
      const a = tf.add(tf.mul(h, tf.sub(s, d0)), tf.mul(dy, rho));
      const b = tf.sub(tf.mul(h, d0), tf.mul(dy, rho));
      const cc = tf.neg(tf.mul(s, dy));
      const disc = tf.relu(tf.sub(tf.square(b), tf.mul(tf.mul(a, cc), 4)));
      const xi = tf.clipByValue(tf.div(tf.mul(cc, 2), tf.sub(tf.neg(b), tf.sqrt(disc))), 0, 1);
      out = tf.add(tf.mul(xi, w), x0);
      logDet = tf.neg(logDerivative({ w, h, d0, d1 }, xi));
    }
    return { out: tf.add(v, tf.mul(inside, tf.sub(out, v))), logDerivative: tf.mul(inside, logDet) };
  });
}
