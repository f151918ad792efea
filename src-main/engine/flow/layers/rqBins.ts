/**
 * The bins of the RQ activation (docs/activation.md): knots, slopes and knot derivatives from the
 * layer's variables (App. C, Eq. 27–32, with the decisions of docs/activation.md), the per-bin
 * table every element picks its parameters from (tails included), the pick itself (on the
 * device, ops/binSelect.ts) and Eq. 17 in log form. All tensors; call inside a tidy.
 */
import { selectBins } from '../../ops/binSelect';
import { type Tensor, type Variable, tf } from '../../tf';

/** The activation's trainable parameters. */
export interface RQVariables {
  thetaX: Variable;
  thetaY: Variable;
  thetaA: Variable;
  logWidth: Variable;
}

export interface RQBinSettings {
  bins: number;
  variant: 'paper' | 'strict';
  unconstrained: boolean;
  tailBound: number;
  /** Slope of the tails (and far-end derivative of the tail bins): the layer's initialSlope. */
  tailSlope: number;
}

/** xk, yk: [C, I+1] knots; alpha: [C, I+1] knot derivatives; slope (inner δ): [C, I]. */
export interface KnotParameters {
  xk: Tensor;
  yk: Tensor;
  alpha: Tensor;
  slope: Tensor;
}

/**
 * Per-bin parameters, each a [C, I+2] tensor (bin 0 the left tail, bins 1..I inside the box,
 * bin I+1 the right tail). Every bin is evaluated from its anchor: the knot nearer the origin
 * (the left knot, except for the left tail, which is evaluated mirrored from its right knot with
 * sign −1), so that the tails keep float32 resolution next to ±w.
 */
export const ROW_NAMES = ['anchorX', 'dx', 'anchorY', 'dy', 'slope', 'alphaNear', 'alphaFar', 'rho', 'sign', 'logSlope'] as const;
type RowName = (typeof ROW_NAMES)[number];
export type Rows = Record<RowName, Tensor>;

/** w is kept inside [W_MIN, tailBound/4] so the box stays a box and the tail bins stay wide. */
export const W_MIN = 1e-3;
export interface BinTable {
  rows: Rows;
  /** x⁽⁰⁾..x⁽ᴵ⁾ and y⁽⁰⁾..y⁽ᴵ⁾, [C, I+1]: an element lies in bin #(knots ≤ it). */
  xKnots: Tensor;
  yKnots: Tensor;
}

/**
 * The knots and per-bin slopes and derivatives of the box (App. C, with the decisions of
 * docs/activation.md).
 */
export function knotParameters(v: RQVariables, s: RQBinSettings): KnotParameters {
  const C = v.logWidth.shape[0]!;
  const I = s.bins;
  const w = tf.reshape(tf.exp(tf.clipByValue(v.logWidth, Math.log(W_MIN), Math.log(s.tailBound / 4))), [C, 1]);
  const bx = tf.softmax(v.thetaX); // widths, sum 1 (Eq. 27)
  const slope = s.unconstrained ? tf.softplus(v.thetaY) : tf.sigmoid(v.thetaY); // δ = b̄y/b̄x (Eq. 28)
  const zero = tf.zeros([C, 1]);
  const cx = tf.concat([zero, tf.cumsum(bx, 1)], 1); // [C, I+1], 0 .. 1
  const xk = tf.mul(tf.sub(tf.mul(cx, 2), 1), w); // Eq. 29
  const by = tf.concat([zero, tf.cumsum(tf.mul(slope, bx), 1)], 1); // Eq. 30 with the leading zero
  const byMax = tf.slice(by, [0, I], [C, 1]); // the cumsum of positives is largest at its end
  const yk = tf.mul(tf.sub(tf.mul(by, 2), byMax), w); // Eq. 31
  let alpha: Tensor;
  if (s.unconstrained) alpha = tf.softplus(v.thetaA);
  else if (s.variant === 'paper') alpha = tf.sigmoid(v.thetaA); // Eq. 32
  else {
    // Strict: every knot derivative in [h(max adjacent slope), 1); the outer knots ±w are
    // adjacent to a tail bin of slope initialSlope.
    const tail = tf.fill([C, 1], s.tailSlope);
    const padded = tf.concat([tail, slope, tail], 1); // [C, I+2]
    const adjacent = tf.maximum(tf.slice(padded, [0, 0], [C, I + 1]), tf.slice(padded, [0, 1], [C, I + 1]));
    const floor = tf.mul(tf.mul(adjacent, tf.add(adjacent, 1)), 0.5); // h(δ) = δ(1+δ)/2
    alpha = tf.add(floor, tf.mul(tf.sub(1, floor), tf.sigmoid(v.thetaA)));
  }
  return { xk, yk, alpha, slope };
}

/** The per-bin table of every channel, tails included, and the knots to find bins by. */
export function buildBinTable(v: RQVariables, s: RQBinSettings): BinTable {
  const C = v.logWidth.shape[0]!;
  const I = s.bins;
  const T = s.tailBound;
  const beta = s.tailSlope;
  const { xk, yk, alpha, slope } = knotParameters(v, s);
  const col = (t: Tensor, i: number): Tensor => tf.slice(t, [0, i], [C, 1]);
  const full = (value: number): Tensor => tf.fill([C, 1], value);
  const x0 = col(xk, 0);
  const xI = col(xk, I);
  const y0 = col(yk, 0);
  const yI = col(yk, I);
  // Inner bins: widths and heights as differences of the float32 knots, so that a point
  // between two knots has ξ ∈ [0, 1] exactly (rounding is monotone) and each bin ends exactly
  // on the next knot. The shape parameter δ of Eq. 16-17 is s itself (= b̄y/b̄x exactly), so the
  // strict bound holds for the formula as evaluated; Δy/Δx differs from s only by the rounding
  // of the knots (relative ulp(x)/Δx, ~1e-6 for ordinary bins).
  const dxIn = tf.sub(tf.slice(xk, [0, 1], [C, I]), tf.slice(xk, [0, 0], [C, I]));
  const dyIn = tf.sub(tf.slice(yk, [0, 1], [C, I]), tf.slice(yk, [0, 0], [C, I]));
  // Tail bins [−T, x⁽⁰⁾] and [x⁽ᴵ⁾, T]: slope β, so their far ends are y⁽⁰⁾ − β(T + x⁽⁰⁾) and
  // y⁽ᴵ⁾ + β(T − x⁽ᴵ⁾); anchored at the inner knot (see elementwise).
  const dxLeft = tf.add(x0, T);
  const dxRight = tf.sub(T, xI);
  const dyLeft = tf.mul(dxLeft, beta);
  const dyRight = tf.mul(dxRight, beta);
  const alphaAll = tf.concat([full(beta), alpha, full(beta)], 1); // [C, I+3]: −T, x⁽⁰⁾..x⁽ᴵ⁾, T
  const left = tf.slice(alphaAll, [0, 0], [C, I + 2]); // derivative at each bin's left end
  const right = tf.slice(alphaAll, [0, 1], [C, I + 2]);
  const binSlope = tf.concat([full(beta), slope, full(beta)], 1);
  // The left tail is evaluated mirrored (anchor at its right end x⁽⁰⁾, sign −1): its near end
  // is the right one.
  const leftOfInner = tf.slice(left, [0, 1], [C, I + 1]);
  const rightOfInner = tf.slice(right, [0, 1], [C, I + 1]);
  const alphaNear = tf.concat([col(right, 0), leftOfInner], 1);
  const alphaFar = tf.concat([col(left, 0), rightOfInner], 1);
  const anchorX = tf.concat([x0, tf.slice(xk, [0, 0], [C, I]), xI], 1);
  const anchorY = tf.concat([y0, tf.slice(yk, [0, 0], [C, I]), yI], 1);
  const dx = tf.concat([dxLeft, dxIn, dxRight], 1);
  const dy = tf.concat([dyLeft, dyIn, dyRight], 1);
  const rho = tf.sub(tf.add(alphaNear, alphaFar), tf.mul(binSlope, 2));
  const sign = tf.concat([full(-1), tf.ones([C, I + 1])], 1);
  const rows: Rows = { anchorX, dx, anchorY, dy, slope: binSlope, alphaNear, alphaFar, rho, sign, logSlope: tf.log(binSlope) };
  return {
    rows,
    xKnots: xk,
    yKnots: yk,
  };
}

/**
 * Eq. 17 in log form at ξ within the selected bin: log f' = 2·log δ + log γ − 2·log(δ + ρξ(1−ξ)),
 * γ = α_far·ξ² + 2δξ(1−ξ) + α_near·(1−ξ)² ("near"/"far" relative to the bin's anchor knot).
 */
export function logDerivativeAt(p: Rows, xi: Tensor): Tensor {
  const omxi = tf.sub(1, xi);
  const t = tf.mul(xi, omxi);
  const den = tf.add(p.slope, tf.mul(p.rho, t));
  const gamma = tf.add(tf.add(tf.mul(p.alphaFar, tf.square(xi)), tf.mul(tf.mul(p.slope, 2), t)), tf.mul(p.alphaNear, tf.square(omxi)));
  return tf.add(tf.mul(p.logSlope, 2), tf.log(tf.div(gamma, tf.square(den))));
}

/**
 * Each element's bin parameters, one [C, N] tensor per row: the bin of an element is the number
 * of knots ≤ its value (0 = left tail, I+1 = right tail), and all rows are picked at once on the
 * device (ops/binSelect.ts; gradient: scatter-add into the rows, none through the bin index).
 */
export function selectRows(rows: Rows, v: Tensor, knots: Tensor): Rows {
  const picked = selectBins(ROW_NAMES.map((name) => rows[name]), v, knots);
  const out = {} as Rows;
  ROW_NAMES.forEach((name, i) => {
    out[name] = picked[i]!;
  });
  return out;
}
