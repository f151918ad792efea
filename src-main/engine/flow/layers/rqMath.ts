/**
 * Float64 host-side mathematics of the monotonic rational-quadratic activation (paper Eq. 16-17):
 * the derivative inside one bin, its exact supremum, the strict variant's knot-derivative floor
 * and the initial parameter values. No tensors here: these run on a handful of numbers per bin
 * (diagnostics, initialisation) and are easy to test against brute force.
 *
 * Notation of one bin: slope δ = Δy/Δx, knot derivatives α0 (left end) and α1 (right end),
 * ρ = α0 + α1 − 2δ, ξ ∈ [0, 1] the position inside the bin. Then (Eq. 17)
 *   f'(ξ) = δ²·[α1ξ² + 2δξ(1−ξ) + α0(1−ξ)²] / [δ + ρξ(1−ξ)]².
 */

/** f'(ξ) of one bin (Eq. 17), float64. */
export function binDerivative(delta: number, alpha0: number, alpha1: number, xi: number): number {
  const t = xi * (1 - xi);
  const den = delta + (alpha0 + alpha1 - 2 * delta) * t;
  const gamma = alpha1 * xi * xi + 2 * delta * t + alpha0 * (1 - xi) * (1 - xi);
  return (delta * delta * gamma) / (den * den);
}

/**
 * The strict variant's lower bound on a knot derivative next to a bin of slope δ:
 * h(δ) = δ(1 + δ)/2. If both end derivatives of a bin lie in [h(δ), 1] (and δ ≤ 1), then
 * f' ≤ 1 on the whole bin (proof in docs/activation.md, tested in rqMath.test.ts).
 * h(δ) < δ for δ < 1, so the linear map (α = δ = β) lies strictly inside the constraint set.
 */
export function strictKnotFloor(slope: number): number {
  return (slope * (1 + slope)) / 2;
}

/** Polynomial coefficients, lowest power first. */
type Poly = number[];

function polyMul(a: Poly, b: Poly): Poly {
  const out = new Array<number>(a.length + b.length - 1).fill(0);
  for (let i = 0; i < a.length; i++) for (let j = 0; j < b.length; j++) out[i + j]! += a[i]! * b[j]!;
  return out;
}

function polySub(a: Poly, b: Poly): Poly {
  const n = Math.max(a.length, b.length);
  return Array.from({ length: n }, (_, i) => (a[i] ?? 0) - (b[i] ?? 0));
}

function polyEval(p: Poly, x: number): number {
  let v = 0;
  for (let i = p.length - 1; i >= 0; i--) v = v * x + p[i]!;
  return v;
}

function polyDerivative(p: Poly): Poly {
  return p.slice(1).map((c, i) => c * (i + 1));
}

/** Real roots of c0 + c1·x + c2·x² (numerically stable form), any order. */
function quadraticRoots(c0: number, c1: number, c2: number): number[] {
  if (c2 === 0) return c1 === 0 ? [] : [-c0 / c1];
  const disc = c1 * c1 - 4 * c2 * c0;
  if (disc < 0) return [];
  // q = −(c1 + sign(c1)·√disc)/2 avoids cancellation; roots q/c2 and c0/q.
  const q = -0.5 * (c1 + (c1 >= 0 ? 1 : -1) * Math.sqrt(disc));
  const roots = [q / c2];
  if (q !== 0) roots.push(c0 / q);
  return roots;
}

/**
 * Roots in [0, 1] of a cubic (or lower degree) polynomial: the interval is cut at the critical
 * points of p (roots of the quadratic p'), so p is monotone on each piece and has at most one
 * root there, found by bisection to float64 resolution. Spurious roots of a polynomial that is
 * identically zero up to rounding are harmless for the callers (extra candidate points).
 */
function cubicRootsInUnit(p: Poly): number[] {
  const d = polyDerivative(p);
  const cuts = [0, 1];
  for (const r of quadraticRoots(d[0] ?? 0, d[1] ?? 0, d[2] ?? 0)) if (r > 0 && r < 1) cuts.push(r);
  cuts.sort((a, b) => a - b);
  const roots: number[] = [];
  for (let k = 0; k + 1 < cuts.length; k++) {
    let lo = cuts[k]!;
    let hi = cuts[k + 1]!;
    let flo = polyEval(p, lo);
    const fhi = polyEval(p, hi);
    if (flo === 0) {
      roots.push(lo);
      continue;
    }
    if (fhi === 0 || flo * fhi > 0) continue;
    for (let it = 0; it < 200 && hi - lo > 1e-17; it++) {
      const mid = 0.5 * (lo + hi);
      const fm = polyEval(p, mid);
      if (fm === 0) {
        lo = hi = mid;
        break;
      }
      if (fm * flo < 0) hi = mid;
      else {
        lo = mid;
        flo = fm;
      }
    }
    roots.push(0.5 * (lo + hi));
  }
  return roots;
}

/**
 * Exact supremum of f' over one bin, ξ ∈ [0, 1]. f' = δ²N/D² with N, D quadratics in ξ and
 * D > 0, so the extrema of f' are at ξ ∈ {0, 1} or at the roots of the cubic
 * P = N'·D − 2·N·D' (the numerator of d f'/dξ up to the positive factor δ²/D³). Those roots are
 * found analytically bracketed (see cubicRootsInUnit) and f' is evaluated at every candidate.
 */
export function binMaxDerivative(delta: number, alpha0: number, alpha1: number): { value: number; xi: number } {
  const rho = alpha0 + alpha1 - 2 * delta;
  const N: Poly = [alpha0, 2 * (delta - alpha0), rho];
  const D: Poly = [delta, rho, -rho];
  const P = polySub(polyMul(polyDerivative(N), D), polyMul(polyMul([2], N), polyDerivative(D)));
  let best = { value: -Infinity, xi: 0 };
  for (const xi of [0, 1, ...cubicRootsInUnit(P)]) {
    const value = binDerivative(delta, alpha0, alpha1, xi);
    if (value > best.value) best = { value, xi };
  }
  return best;
}

/** Logit in float64: the θ with sigmoid(θ) = p. */
export function logit(p: number): number {
  return Math.log(p) - Math.log1p(-p);
}

/** Inverse softplus in float64: the θ with softplus(θ) = v > 0. */
export function inverseSoftplus(v: number): number {
  // log(e^v − 1) = v + log(1 − e^{−v}), stable for large and small v.
  return v + Math.log(-Math.expm1(-v));
}

/**
 * The largest slope the sigmoid-bounded (constrained) variants start from. They keep slopes and
 * knot derivatives in the open interval (0, 1) as App. C does, so β = 1 (allowed by Eq. 18) is
 * approached by 1 − 2⁻²⁰: a float32-representable value whose sigmoid still has a usable
 * gradient (σ' = σ(1−σ) ≈ 1e-6; at σ = 1 in float32 it would be exactly 0).
 */
export const MAX_CONSTRAINED_SLOPE = 1 - 2 ** -20;
