/**
 * f_act: the monotonic rational-quadratic activation of Liao & He (Sec. 4.1, Eq. 16-17, App. C),
 * elementwise with parameters per channel (last axis). docs/activation.md explains every choice;
 * in short:
 *
 *  - I bins inside the box [−w, w] per channel, from θx, θy ∈ R^I, θa ∈ R^{I+1} and log w:
 *      b̄x = softmax(θx), s = sigmoid(θy) (the bin slopes δ), b̄y = s·b̄x,
 *      x⁽ⁱ⁾ = (2·[0, cumsum(b̄x)]ᵢ − 1)·w,  b_y = [0, cumsum(b̄y)],  y⁽ⁱ⁾ = (2·(b_y)ᵢ − max b_y)·w,
 *    i = 0..I. The leading zero makes Eq. 29/31 map the box onto [−w, w] × [−Bw, Bw], B = max b_y.
 *  - Knot derivatives α⁽ⁱ⁾: `paper` sigmoid(θa); `strict` m + (1 − m)·sigmoid(θa) with
 *    m = h(max of the two adjacent slopes), h(δ) = δ(1+δ)/2, which guarantees f' ≤ 1 everywhere.
 *    `unconstrained` (Sec. 6.2 ablation): softplus for slopes and knot derivatives.
 *  - Two tail bins [−T, −w] and [w, T] (T = tailBound) with slope β and derivative β at the far
 *    end: the map is C¹, bijective, and linear with slope β at initialisation; beyond ±T it
 *    continues linearly with slope β.
 *
 * The knots and the per-bin table are built in rqBins.ts. Bin selection runs on the device
 * (ops/binSelect.ts): the bin is a count of knots ≤ the value, and a gather per parameter row
 * picks the bin's values, with a scatter-add as its gradient (wasm has no UnsortedSegmentSum,
 * the gradient of tf.gather); docs/activation.md, "Bin selection and performance". Each element
 * computes only its own bin's formula with its inputs clamped into that bin, so no masked branch
 * can produce NaN/Inf gradients.
 */
import type { LayerDescriptor } from '../../../../src-shared/protocol';
import { type Tensor, type Variable, tf } from '../../tf';
import type { Bijection, ForwardResult, InverseResult } from '../types';
import { type BinTable, type KnotParameters, type RQBinSettings, type RQVariables, W_MIN, buildBinTable, knotParameters, logDerivativeAt, selectRows } from './rqBins';
import {
  MAX_CONSTRAINED_SLOPE,
  binMaxDerivative,
  inverseSoftplus,
  logit,
  strictKnotFloor,
} from './rqMath';

export interface RQActivationOptions {
  descriptor: LayerDescriptor; // from src-shared/protocol (kind: 'act')
  channels: number; // size of the last axis; parameters are per channel
  bins: number; // I, 16 by default
  variant: 'paper' | 'strict';
  tailBound: number; // far boundary of the two tail bins, 1e5
  beta: number; // slope at initialisation (blockwise volume-preserving init)
  unconstrained?: boolean; // Sec. 6.2 ablation: knot derivatives and slopes not limited to (0,1)
  name?: string; // prefix for unique variable names (checkpoints save by name)
  /** Half-width w of the box at initialisation (learnable afterwards); 2 by default. */
  initWidth?: number;
}

/** Elementwise output of the activation: y and log f'(x), both of x's shape. */
export interface RQElementwise {
  y: Tensor;
  logDerivative: Tensor;
}

/** Per-bin parameters of every channel, as float64 numbers (diagnostics, tests, plots). */
export interface RQKnots {
  /** Knots of the box, [channel][i], i = 0..I: x⁽ⁱ⁾, y⁽ⁱ⁾, α⁽ⁱ⁾. */
  x: number[][];
  y: number[][];
  alpha: number[][];
  /** Slopes δ of the I inner bins, [channel][i]. */
  slope: number[][];
  /** Slope of the tails (δ and far-end derivative of the tail bins, slope beyond ±T). */
  tailSlope: number;
  tailBound: number;
}

/**
 * Floor of the inverse's discriminant. Mathematically b² − 4ac = (Q'(ξ*))² > 0 (Q the quadratic,
 * ξ* its root in the bin, Q' ∝ f' > 0); the floor only catches rounding, and keeps √'s gradient
 * finite so that a masked (clamped) discriminant cannot turn 0·∞ into NaN.
 */
const DISC_FLOOR = 1e-30;

export class RQActivation implements Bijection {
  readonly descriptor: LayerDescriptor;
  readonly channels: number;
  readonly bins: number;
  readonly variant: 'paper' | 'strict';
  readonly tailBound: number;
  readonly unconstrained: boolean;
  /**
   * The slope the map has at initialisation, which is also the fixed slope of the tails: β,
   * except that the sigmoid-bounded variants cap it at 1 − 2⁻²⁰ (see MAX_CONSTRAINED_SLOPE).
   * The activation's initial log-det is d·log(initialSlope).
   */
  readonly initialSlope: number;
  readonly variables: readonly Variable[];

  private readonly thetaX: Variable;
  private readonly thetaY: Variable;
  private readonly thetaA: Variable;
  private readonly logWidth: Variable;

  constructor(options: RQActivationOptions) {
    const { descriptor, channels, bins, variant, tailBound, beta } = options;
    const unconstrained = options.unconstrained ?? false;
    const initWidth = options.initWidth ?? 2;
    const where = `${descriptor.name} (RQ activation)`;
    if (!Number.isInteger(channels) || channels < 1) throw new Error(`${where}: channels must be a positive integer, got ${channels}`);
    if (!Number.isInteger(bins) || bins < 1) throw new Error(`${where}: bins must be a positive integer, got ${bins}`);
    if (variant !== 'paper' && variant !== 'strict') throw new Error(`${where}: unknown variant "${String(variant)}"`);
    if (!(beta > 0) || !Number.isFinite(beta) || (!unconstrained && beta > 1)) {
      throw new Error(`${where}: beta must be in (0, 1]${unconstrained ? ' or positive when unconstrained' : ''}, got ${beta}`);
    }
    if (!(initWidth >= W_MIN) || !Number.isFinite(initWidth)) throw new Error(`${where}: initWidth must be ≥ ${W_MIN}, got ${initWidth}`);
    if (!(tailBound >= 4 * initWidth) || !Number.isFinite(tailBound)) {
      throw new Error(`${where}: tailBound (${tailBound}) must be finite and at least 4·initWidth (${4 * initWidth})`);
    }
    this.descriptor = descriptor;
    this.channels = channels;
    this.bins = bins;
    this.variant = variant;
    this.tailBound = tailBound;
    this.unconstrained = unconstrained;
    const slope = unconstrained ? beta : Math.min(beta, MAX_CONSTRAINED_SLOPE);
    this.initialSlope = slope;

    // Initial values: uniform bins (θx = 0), every slope and knot derivative equal to the slope,
    // so every bin is the line through its knots and ρ = 0 (Eq. 16 degenerates to linear).
    const thetaSlope = unconstrained ? inverseSoftplus(slope) : logit(slope);
    let thetaAlpha: number;
    if (unconstrained || variant === 'paper') thetaAlpha = thetaSlope;
    else {
      // α = m + (1 − m)·σ(θa) with m = h(slope) must equal the slope: σ(θa) = slope/(2 + slope).
      const m = strictKnotFloor(slope);
      thetaAlpha = logit((slope - m) / (1 - m));
    }
    const prefix = options.name ?? descriptor.name;
    const make = (suffix: string, shape: number[], value: number): Variable => {
      const initial = tf.fill(shape, value);
      try {
        return tf.variable(initial, true, `${prefix}/${suffix}`);
      } catch (error) {
        const text = error instanceof Error ? error.message : String(error);
        if (/already registered/.test(text)) {
          throw new Error(`${where}: a tfjs variable named "${prefix}/${suffix}" already exists (names must be unique)`);
        }
        throw error;
      } finally {
        initial.dispose();
      }
    };
    this.thetaX = make('theta_x', [channels, bins], 0);
    this.thetaY = make('theta_y', [channels, bins], thetaSlope);
    this.thetaA = make('theta_a', [channels, bins + 1], thetaAlpha);
    this.logWidth = make('log_w', [channels], Math.log(initWidth));
    this.variables = [this.thetaX, this.thetaY, this.thetaA, this.logWidth];
  }

  forward(x: Tensor): ForwardResult {
    return tf.tidy(() => {
      const { y, logDerivative } = this.elementwise(x);
      const batch = x.shape[0]!;
      return { y, logdet: tf.sum(tf.reshape(logDerivative, [batch, -1]), 1) };
    });
  }

  /** y = f(x) and log f'(x) elementwise (same shape as x). */
  elementwise(x: Tensor): RQElementwise {
    this.checkShape(x, 'forward');
    return tf.tidy(() => {
      const C = this.channels;
      const { rows, xKnots } = this.binTable();
      const xt = tf.transpose(tf.reshape(x, [-1, C])); // [C, N]
      const p = selectRows(rows, xt, xKnots);
      // Distance from the bin's anchor knot (the knot nearer the origin: the tail bins keep
      // float32 resolution next to ±w) along the bin. Inside the bin u ∈ [0, Δx] exactly (float
      // rounding is monotone); beyond ±T (tail bins only) the overshoot u − Δx continues the map
      // linearly with the far-end slope.
      const u = tf.mul(p.sign, tf.sub(xt, p.anchorX));
      const xi = tf.clipByValue(tf.div(u, p.dx), 0, 1);
      const overshoot = tf.relu(tf.sub(u, p.dx));
      const omxi = tf.sub(1, xi);
      const t = tf.mul(xi, omxi);
      const den = tf.add(p.slope, tf.mul(p.rho, t));
      const num = tf.add(tf.mul(p.slope, tf.square(xi)), tf.mul(p.alphaNear, t));
      const along = tf.add(tf.div(tf.mul(p.dy, num), den), tf.mul(overshoot, this.initialSlope));
      const yt = tf.add(p.anchorY, tf.mul(p.sign, along));
      const logd = logDerivativeAt(p, xi);
      return {
        y: tf.reshape(tf.transpose(yt), x.shape),
        logDerivative: tf.reshape(tf.transpose(logd), x.shape),
      };
    });
  }

  inverse(y: Tensor): InverseResult {
    this.checkShape(y, 'inverse');
    return tf.tidy(() => {
      const C = this.channels;
      const { rows, yKnots } = this.binTable();
      const yt = tf.transpose(tf.reshape(y, [-1, C])); // [C, N]
      const p = selectRows(rows, yt, yKnots);
      // Solve a·ξ² + b·ξ + c = 0 for the bin's ξ (Eq. 16 multiplied out and divided by Δy, with
      // r = |y − y_anchor|/Δy ∈ [0, 1]) by the cancellation-free root 2c/(−b − √(b² − 4ac)).
      // Beyond the images of ±T the overshoot continues linearly, as in the forward pass.
      const v = tf.mul(p.sign, tf.sub(yt, p.anchorY));
      const r = tf.clipByValue(tf.div(v, p.dy), 0, 1);
      const overshoot = tf.relu(tf.sub(v, p.dy));
      const rr = tf.mul(r, p.rho);
      const a = tf.add(tf.sub(p.slope, p.alphaNear), rr);
      const b = tf.sub(p.alphaNear, rr);
      const c = tf.neg(tf.mul(p.slope, r));
      const disc = tf.maximum(tf.sub(tf.square(b), tf.mul(tf.mul(a, c), 4)), DISC_FLOOR);
      const xi = tf.clipByValue(tf.div(tf.mul(c, 2), tf.sub(tf.neg(b), tf.sqrt(disc))), 0, 1);
      const along = tf.add(tf.mul(xi, p.dx), tf.div(overshoot, this.initialSlope));
      const xt = tf.add(p.anchorX, tf.mul(p.sign, along));
      // log|det J_{f⁻¹}(y)| = −Σ log f'(x) at the recovered ξ (beyond ±T: ξ = 1, slope β).
      const logd = tf.reshape(tf.transpose(logDerivativeAt(p, xi)), [y.shape[0]!, -1]);
      return { x: tf.reshape(tf.transpose(xt), y.shape), logdet: tf.neg(tf.sum(logd, 1)) };
    });
  }

  /** Largest derivative over the whole real line for the current parameters (max over channels). */
  maxDerivative(): number {
    return Math.max(...this.maxDerivativePerChannel());
  }

  /**
   * Supremum of f' over R for each channel (see maxDerivativeFromTable). Reads the parameters
   * to the host synchronously: for tests and plots; the training step reads `slopeTable()` with
   * its other numbers instead.
   */
  maxDerivativePerChannel(): number[] {
    const table = this.slopeTable();
    const values = table.dataSync();
    table.dispose();
    return this.maxDerivativeFromTable(values);
  }

  /**
   * Every bin's slope δ and its near and far knot derivatives (the tail bins included), the
   * float32 values the forward pass uses: [3, C, I+2], `slopeTableSize` values.
   */
  slopeTable(): Tensor {
    return tf.tidy(() => {
      const { rows } = this.binTable();
      return tf.stack([rows.slope, rows.alphaNear, rows.alphaFar]);
    });
  }

  get slopeTableSize(): number {
    return 3 * this.channels * (this.bins + 2);
  }

  /**
   * Supremum of f' over R per channel from `slopeTable()`'s values: exact per bin
   * (binMaxDerivative: endpoints and the real roots of the cubic numerator of f''), over the I
   * inner bins, the two tail bins, and the linear extension beyond ±T, in float64.
   */
  maxDerivativeFromTable(values: ArrayLike<number>): number[] {
    const C = this.channels;
    const K = this.bins + 2;
    if (values.length !== 3 * C * K) throw new Error(`${this.descriptor.name}: a slope table has ${3 * C * K} values, got ${values.length}`);
    return Array.from({ length: C }, (_, c) => {
      let best = this.initialSlope;
      for (let k = 0; k < K; k++) {
        const at = c * K + k;
        const { value } = binMaxDerivative(values[at]!, values[C * K + at]!, values[2 * C * K + at]!);
        best = Math.max(best, value);
      }
      return best;
    });
  }

  /** The current knots and slopes per channel (float64 copies of the float32 values used). */
  knots(): RQKnots {
    const [xk, yk, alpha, slope] = tf.tidy(() => {
      const raw = this.rawParameters();
      return [raw.xk, raw.yk, raw.alpha, raw.slope];
    });
    const out: RQKnots = {
      x: xk!.arraySync() as number[][],
      y: yk!.arraySync() as number[][],
      alpha: alpha!.arraySync() as number[][],
      slope: slope!.arraySync() as number[][],
      tailSlope: this.initialSlope,
      tailBound: this.tailBound,
    };
    for (const t of [xk, yk, alpha, slope]) t!.dispose();
    return out;
  }

  /** Disposes the layer's variables. */
  dispose(): void {
    for (const v of this.variables) v.dispose();
  }

  private checkShape(t: Tensor, what: string): void {
    if (t.rank < 2 || t.shape[t.rank - 1] !== this.channels) {
      throw new Error(
        `${this.descriptor.name}: ${what} expects [batch, ..., ${this.channels}], got [${t.shape.join(', ')}]`,
      );
    }
  }

  /** The knots and per-bin parameters of the current variables (call inside a tidy). */
  private binTable(): BinTable {
    return buildBinTable(this.parameters(), this.binSettings());
  }

  private rawParameters(): KnotParameters {
    return knotParameters(this.parameters(), this.binSettings());
  }

  private parameters(): RQVariables {
    return { thetaX: this.thetaX, thetaY: this.thetaY, thetaA: this.thetaA, logWidth: this.logWidth };
  }

  private binSettings(): RQBinSettings {
    return { bins: this.bins, variant: this.variant, unconstrained: this.unconstrained, tailBound: this.tailBound, tailSlope: this.initialSlope };
  }
}
