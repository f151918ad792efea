/**
 * ActNorm (Glow, Kingma & Dhariwal 2018, Sec. 3.1): a per-channel affine map
 *   y = (x + b) ⊙ exp(s),   log|det J| = (h·w)·Σ_c s_c   per example,
 * whose b and s are initialised from data: on the first training batch the output has zero mean
 * and unit variance per channel (b = −mean, s = −log(std + ε)). After that they are ordinary
 * trainable variables, so a checkpoint (which saves every variable) restores the initialisation
 * exactly and a resumed run never initialises again (the trainer initialises at step 0 only).
 */
import type { LayerDescriptor } from '../../../../src-shared/protocol';
import { type Tensor, type Variable, tf } from '../../tf';
import type { Bijection, ForwardResult, InverseResult } from '../types';
import { makeVariable } from '../variables';

/** Glow's ε in the data-dependent initialisation. */
const INIT_EPSILON = 1e-6;

export class ActNorm implements Bijection {
  readonly variables: readonly Variable[];
  private readonly bias: Variable;
  private readonly logScale: Variable;

  constructor(
    readonly descriptor: LayerDescriptor,
    readonly channels: number,
    variablePrefix: string,
  ) {
    if (!Number.isInteger(channels) || channels < 1) throw new Error(`${descriptor.name}: channels must be a positive integer, got ${channels}`);
    this.bias = makeVariable(`${variablePrefix}bias`, tf.zeros([channels]));
    this.logScale = makeVariable(`${variablePrefix}logScale`, tf.zeros([channels]));
    this.variables = [this.bias, this.logScale];
  }

  /** Data-dependent initialisation from a batch of this layer's inputs (device ops, no read). */
  initializeFrom(x: Tensor): void {
    this.checkInput(x);
    tf.tidy(() => {
      const axes = Array.from({ length: x.rank - 1 }, (_, i) => i);
      const { mean, variance } = tf.moments(x, axes);
      this.bias.assign(tf.neg(mean));
      this.logScale.assign(tf.neg(tf.log(tf.add(tf.sqrt(variance), INIT_EPSILON))));
    });
  }

  forward(x: Tensor): ForwardResult {
    this.checkInput(x);
    return tf.tidy(() => ({ y: tf.mul(tf.add(x, this.bias), tf.exp(this.logScale)), logdet: this.logdet(x, 1) }));
  }

  inverse(y: Tensor): InverseResult {
    this.checkInput(y);
    return tf.tidy(() => ({ x: tf.sub(tf.mul(y, tf.exp(tf.neg(this.logScale))), this.bias), logdet: this.logdet(y, -1) }));
  }

  private logdet(x: Tensor, sign: number): Tensor {
    const pixels = x.rank === 4 ? x.shape[1]! * x.shape[2]! : 1;
    return tf.mul(tf.mul(tf.sum(this.logScale), sign * pixels), tf.ones([x.shape[0]!]));
  }

  private checkInput(x: Tensor): void {
    if ((x.rank !== 2 && x.rank !== 4) || x.shape[x.rank - 1] !== this.channels) {
      throw new Error(`${this.descriptor.name}: expects [batch, ${this.channels}] or [batch, h, w, ${this.channels}], got [${x.shape}]`);
    }
  }

  dispose(): void {
    for (const v of this.variables) v.dispose();
  }
}
