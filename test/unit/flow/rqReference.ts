/**
 * An independent float64 reference of the RQ activation for the tests, written from the paper's
 * equations (App. C, Eq. 16-17) and docs/activation.md, not from the layer's tensor code: scalar
 * loops, bins in the textbook left-anchored form, a linear scan for the bin.
 */

export interface RQParams {
  /** Per channel: θx (I), θy (I), θa (I+1), log w. */
  thetaX: number[][];
  thetaY: number[][];
  thetaA: number[][];
  logW: number[];
}

export interface RQSettings {
  variant: 'paper' | 'strict';
  unconstrained: boolean;
  tailBound: number;
  /** The layer's tail slope (its initialSlope). */
  tailSlope: number;
}

interface Bin {
  x0: number;
  x1: number;
  y0: number;
  y1: number;
  d0: number;
  d1: number;
}

const sigmoid = (v: number): number => 1 / (1 + Math.exp(-v));
const softplus = (v: number): number => (v > 30 ? v : Math.log1p(Math.exp(v)));

/** All bins of one channel, left tail first, in float64. */
export function referenceBins(p: RQParams, channel: number, s: RQSettings): Bin[] {
  const tx = p.thetaX[channel]!;
  const ty = p.thetaY[channel]!;
  const ta = p.thetaA[channel]!;
  const I = tx.length;
  const T = s.tailBound;
  const beta = s.tailSlope;
  const logW = Math.min(Math.max(p.logW[channel]!, Math.log(1e-3)), Math.log(T / 4));
  const w = Math.exp(logW);
  const mx = Math.max(...tx);
  const ex = tx.map((v) => Math.exp(v - mx));
  const sum = ex.reduce((a, b) => a + b, 0);
  const bx = ex.map((v) => v / sum);
  const slope = ty.map((v) => (s.unconstrained ? softplus(v) : sigmoid(v)));
  const xs = [-w];
  const cumY = [0];
  let cx = 0;
  let cy = 0;
  for (let i = 0; i < I; i++) {
    cx += bx[i]!;
    cy += bx[i]! * slope[i]!;
    xs.push((2 * cx - 1) * w);
    cumY.push(cy);
  }
  const ys = cumY.map((v) => (2 * v - cy) * w);
  const alpha: number[] = [];
  for (let i = 0; i <= I; i++) {
    if (s.unconstrained) alpha.push(softplus(ta[i]!));
    else if (s.variant === 'paper') alpha.push(sigmoid(ta[i]!));
    else {
      const left = i === 0 ? beta : slope[i - 1]!;
      const right = i === I ? beta : slope[i]!;
      const m = Math.max(left, right);
      const floor = (m * (1 + m)) / 2;
      alpha.push(floor + (1 - floor) * sigmoid(ta[i]!));
    }
  }
  const bins: Bin[] = [];
  bins.push({ x0: -T, x1: xs[0]!, y0: ys[0]! - beta * (xs[0]! + T), y1: ys[0]!, d0: beta, d1: alpha[0]! });
  for (let i = 0; i < I; i++) {
    bins.push({ x0: xs[i]!, x1: xs[i + 1]!, y0: ys[i]!, y1: ys[i + 1]!, d0: alpha[i]!, d1: alpha[i + 1]! });
  }
  bins.push({ x0: xs[I]!, x1: T, y0: ys[I]!, y1: ys[I]! + beta * (T - xs[I]!), d0: alpha[I]!, d1: beta });
  return bins;
}

/** Eq. 16 on a bin from u = distance to its left end, derivatives d0 (at u = 0) and d1. */
function rq(dx: number, dy: number, d0: number, d1: number, u: number): number {
  const delta = dy / dx;
  const xi = u / dx;
  const num = dy * (delta * xi * xi + d0 * xi * (1 - xi));
  const den = delta + (d1 + d0 - 2 * delta) * xi * (1 - xi);
  return num / den;
}

/**
 * f(x) in float64 (Eq. 16; linear with the tail slope beyond ±T). The left tail is evaluated
 * through the reflection x ↦ −x (its right end as origin): anchored at −T, even float64 would
 * lose 1e-11 absolute to cancellation, enough to spoil the finite differences used in the tests.
 */
export function referenceForward(bins: Bin[], tailSlope: number, x: number): number {
  const first = bins[0]!;
  const last = bins[bins.length - 1]!;
  if (x <= first.x0) return first.y0 + tailSlope * (x - first.x0);
  if (x >= last.x1) return last.y1 + tailSlope * (x - last.x1);
  let bin = first;
  for (const b of bins) if (x >= b.x0) bin = b;
  const dx = bin.x1 - bin.x0;
  const dy = bin.y1 - bin.y0;
  if (bin === first) return bin.y1 - rq(dx, dy, bin.d1, bin.d0, bin.x1 - x);
  return bin.y0 + rq(dx, dy, bin.d0, bin.d1, x - bin.x0);
}

/** f'(x) in float64 from Eq. 17 (the tail slope beyond ±T). */
export function referenceDerivative(bins: Bin[], tailSlope: number, x: number): number {
  const first = bins[0]!;
  const last = bins[bins.length - 1]!;
  if (x < first.x0 || x > last.x1) return tailSlope;
  let bin = first;
  for (const b of bins) if (x >= b.x0) bin = b;
  const delta = (bin.y1 - bin.y0) / (bin.x1 - bin.x0);
  const xi = Math.min(1, (x - bin.x0) / (bin.x1 - bin.x0));
  const t = xi * (1 - xi);
  const den = delta + (bin.d1 + bin.d0 - 2 * delta) * t;
  return (delta * delta * (bin.d1 * xi * xi + 2 * delta * t + bin.d0 * (1 - xi) * (1 - xi))) / (den * den);
}
