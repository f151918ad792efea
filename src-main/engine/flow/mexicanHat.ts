/**
 * The bounded log-scale of the dual affine coupling (Eq. 15):
 *   φ_m = w_m·ϕ + b_m,   log s = (1/M) Σ_m g(φ_m),   g(φ) = (1 − φ²)·exp(−φ²/2),
 * and the choice of the biases b_m that make log s equal a target at initialisation (w_m = 0).
 *
 * g is even, 1 at 0, decreasing on [0, √3] to its minimum −2e^{−3/2} at √3, so log s is
 * bounded in [−2e^{−3/2}, 1] and s in [0.64, 2.72] (the paper's "(0.5, 3)").
 */
import { type Tensor, tf } from '../tf';

export const LOG_SCALE_MIN = -2 * Math.exp(-1.5);
export const LOG_SCALE_MAX = 1;

/** g(φ) on the host, float64. */
export function mexicanHat(phi: number): number {
  const p2 = phi * phi;
  return (1 - p2) * Math.exp(-p2 / 2);
}

/** g applied elementwise. */
export function mexicanHatTensor(phi: Tensor): Tensor {
  return tf.tidy(() => {
    const p2 = tf.square(phi);
    return tf.mul(tf.sub(1, p2), tf.exp(tf.mul(p2, -0.5)));
  });
}

/**
 * Biases b_m = c + δ·(m − (M−1)/2), δ = 0.5/M, all inside [0, √3] where g is monotone, with c
 * chosen by bisection so that mean_m g(b_m) = target.
 *
 * Why distinct biases: with w_m = 0 the gradient with respect to w_m is g'(b_m)·ϕ; equal
 * biases would give every mixture component the same gradient forever (they would stay one
 * component), and ± pairs stay mirror images because g is even. Why inside (0, √3): g' ≠ 0
 * there except at 0, so the scales can learn from the first step.
 */
export function mexicanHatBiases(target: number, mixtures: number): number[] {
  if (!Number.isInteger(mixtures) || mixtures < 1) throw new Error(`mixtures must be a positive integer, got ${mixtures}`);
  const [lo, hi] = mexicanHatReachable(mixtures);
  if (!(target >= lo && target <= hi)) {
    throw new Error(
      `a mixture of ${mixtures} Mexican hats with distinct biases reaches log s in [${lo.toFixed(4)}, ${hi.toFixed(4)}]; ` +
        `the initialisation asked for ${target}`,
    );
  }
  const { delta, cMin, cMax } = spread(mixtures);
  const meanAt = (c: number) => mean(biasesAt(c, delta, mixtures).map(mexicanHat));
  // mean g is decreasing in c on [cMin, cMax].
  let a = cMin;
  let b = cMax;
  for (let i = 0; i < 200 && b - a > 1e-15; i++) {
    const mid = (a + b) / 2;
    if (meanAt(mid) > target) a = mid;
    else b = mid;
  }
  return biasesAt((a + b) / 2, delta, mixtures);
}

/** The interval of log s reachable at initialisation by `mexicanHatBiases`. */
export function mexicanHatReachable(mixtures: number): [number, number] {
  const { delta, cMin, cMax } = spread(mixtures);
  return [mean(biasesAt(cMax, delta, mixtures).map(mexicanHat)), mean(biasesAt(cMin, delta, mixtures).map(mexicanHat))];
}

function spread(mixtures: number): { delta: number; cMin: number; cMax: number } {
  const delta = 0.5 / mixtures;
  const half = (delta * (mixtures - 1)) / 2;
  return { delta, cMin: half, cMax: Math.sqrt(3) - half };
}

function biasesAt(c: number, delta: number, mixtures: number): number[] {
  return Array.from({ length: mixtures }, (_, m) => c + delta * (m - (mixtures - 1) / 2));
}

function mean(values: number[]): number {
  return values.reduce((s, v) => s + v, 0) / values.length;
}
