/**
 * The single affine / additive coupling of the baselines (RealNVP, Glow). x is split by a mask
 * into a conditioning part x_a and a transformed part x_b; a network h = NN(x_a) gives
 *   affine:   y_b = x_b ⊙ s + t,   log|det J| = Σ log s,
 *   additive: y_b = x_b + t,       log|det J| = 0 (NICE, Glow's additive option),
 * with the scale
 *   `sigmoid` (Glow): s = sigmoid(h_s + 2)  (so s ∈ (0, 1), ≈ 0.88 at initialisation),
 *   `tanh` (RealNVP): log s = γ_c · tanh(h_s), γ a learned per-channel factor (init 1).
 * Masks:
 *   `channel`: the first ⌊c/2⌋ channels condition, the rest are transformed (parity 1 swaps);
 *   `checkerboard` (RealNVP, images only): pixel (i, j) conditions when (i + j + parity) is
 *     even; the network sees x ⊙ m (all channels) and outputs a value for every element, of
 *     which only the (1 − m) ones are used.
 * The network's output layer starts at zero (couplingNets.ts `Conditioner`), so t = 0 and
 * h_s = 0 at initialisation.
 */
import type { LayerDescriptor } from '../../../../src-shared/protocol';
import { type Tensor, type Variable, tf } from '../../tf';
import type { Bijection, ForwardResult, InverseResult } from '../types';
import { makeVariable } from '../variables';
import { maskedCouplingSizes } from '../couplingWidths';
import { Conditioner, type CouplingNetChoice } from './couplingNets';

export type CouplingScale = 'sigmoid' | 'tanh' | 'additive';
export type CouplingMask = 'channel' | 'checkerboard';

export interface MaskedCouplingOptions extends CouplingNetChoice {
  descriptor: LayerDescriptor;
  channels: number;
  mask: CouplingMask;
  /** 0 or 1: which half conditions. */
  parity: number;
  scale: CouplingScale;
}

export class MaskedCoupling implements Bijection {
  readonly descriptor: LayerDescriptor;
  readonly variables: readonly Variable[];
  private readonly net: Conditioner;
  private readonly gamma: Variable | null;
  private readonly transformed: number;
  private readonly mask: CouplingMask;
  private readonly parity: number;
  private readonly scale: CouplingScale;
  private readonly channels: number;

  constructor(o: MaskedCouplingOptions) {
    if (!Number.isInteger(o.channels) || o.channels < (o.mask === 'channel' ? 2 : 1)) {
      throw new Error(`${o.descriptor.name}: a channel-wise coupling needs at least 2 channels, got ${o.channels}`);
    }
    if (o.parity !== 0 && o.parity !== 1) throw new Error(`${o.descriptor.name}: parity must be 0 or 1, got ${o.parity}`);
    this.descriptor = o.descriptor;
    this.channels = o.channels;
    this.mask = o.mask;
    this.parity = o.parity;
    this.scale = o.scale;
    const sizes = maskedCouplingSizes(o.channels, o.mask, o.parity, o.scale);
    this.transformed = sizes.transformed;
    this.net = Conditioner.forCoupling(o, sizes.inputs, new Float32Array(sizes.outputs));
    this.gamma = o.scale === 'tanh' ? makeVariable(`${o.variablePrefix}gamma`, tf.ones([sizes.transformed])) : null;
    this.variables = [...this.net.variables, ...(this.gamma ? [this.gamma] : [])];
  }

  forward(x: Tensor): ForwardResult {
    this.checkInput(x);
    return tf.tidy(() => {
      const { a, b, m } = this.split(x);
      const { logScale, shift } = this.scaleShift(a, m);
      const yb = logScale ? tf.add(tf.mul(b, tf.exp(logScale)), shift) : tf.add(b, shift);
      return { y: this.join(a, yb, m), logdet: this.sumLogScale(logScale, x, 1) };
    });
  }

  inverse(y: Tensor): InverseResult {
    this.checkInput(y);
    return tf.tidy(() => {
      const { a, b, m } = this.split(y);
      const { logScale, shift } = this.scaleShift(a, m);
      const xb = logScale ? tf.mul(tf.sub(b, shift), tf.exp(tf.neg(logScale))) : tf.sub(b, shift);
      return { x: this.join(a, xb, m), logdet: this.sumLogScale(logScale, y, -1) };
    });
  }

  /** Conditioning part a, transformed part b and (checkerboard) the mask m [1, h, w, 1] (1: conditions). */
  private split(x: Tensor): { a: Tensor; b: Tensor; m: Tensor | null } {
    if (this.mask === 'checkerboard') {
      const m = checkerboard(x.shape[1]!, x.shape[2]!, this.parity);
      return { a: tf.mul(x, m), b: x, m };
    }
    const axis = x.rank - 1;
    const half = Math.floor(this.channels / 2);
    const [first, second] = tf.split(x, [half, this.channels - half], axis) as [Tensor, Tensor];
    return this.parity === 0 ? { a: first, b: second, m: null } : { a: second, b: first, m: null };
  }

  private join(a: Tensor, yb: Tensor, m: Tensor | null): Tensor {
    if (m) return tf.add(a, tf.mul(yb, tf.sub(1, m)));
    return this.parity === 0 ? tf.concat([a, yb], a.rank - 1) : tf.concat([yb, a], a.rank - 1);
  }

  /** log s (null for additive couplings; zero where the checkerboard conditions) and t. */
  private scaleShift(a: Tensor, m: Tensor | null): { logScale: Tensor | null; shift: Tensor } {
    const h = this.net.apply(a);
    const axis = h.rank - 1;
    const r = this.transformed;
    const keep = (t: Tensor): Tensor => (m ? tf.mul(t, tf.sub(1, m)) : t);
    if (this.scale === 'additive') return { logScale: null, shift: keep(h) };
    const [raw, shift] = tf.split(h, [r, r], axis) as [Tensor, Tensor];
    const logScale = this.scale === 'sigmoid' ? tf.neg(tf.softplus(tf.neg(tf.add(raw, 2)))) : tf.mul(tf.tanh(raw), this.gamma!);
    return { logScale: keep(logScale), shift: keep(shift) };
  }

  private sumLogScale(logScale: Tensor | null, x: Tensor, sign: number): Tensor {
    if (!logScale) return tf.zeros([x.shape[0]!]);
    const reduce = Array.from({ length: x.rank - 1 }, (_, i) => i + 1);
    return tf.mul(tf.sum(logScale, reduce), sign);
  }

  private checkInput(x: Tensor): void {
    if ((x.rank !== 2 && x.rank !== 4) || x.shape[x.rank - 1] !== this.channels) {
      throw new Error(`${this.descriptor.name}: expects [batch, ${this.channels}] or [batch, h, w, ${this.channels}], got [${x.shape}]`);
    }
    if (this.mask === 'checkerboard' && x.rank !== 4) throw new Error(`${this.descriptor.name}: a checkerboard mask needs image inputs, got [${x.shape}]`);
  }

  dispose(): void {
    for (const v of this.variables) v.dispose();
  }
}

/** [1, h, w, 1]: 1 where (i + j + parity) is even (those pixels condition). */
function checkerboard(h: number, w: number, parity: number): Tensor {
  const values = new Float32Array(h * w);
  for (let i = 0; i < h; i++) for (let j = 0; j < w; j++) values[i * w + j] = (i + j + parity) % 2 === 0 ? 1 : 0;
  return tf.tensor4d(values, [1, h, w, 1]);
}
