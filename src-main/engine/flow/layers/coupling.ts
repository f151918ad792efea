/**
 * f_aff: the dual affine coupling (Eq. 14). Channels split as x = (x1, x2), x1 the first
 * r = ⌊c/2⌋ channels:
 *   y1 = s1(x2) ⊙ x1 + t1(x2),   y2 = s2(y1) ⊙ x2 + t2(y1),
 *   log|det J| = Σ log s1 + Σ log s2   (per example).
 * s = exp(log s) with log s from the Mexican-hat mixture (Eq. 15, see couplingNets.ts), so
 * s > 0 and the layer is invertible:
 *   x2 = (y2 − t2(y1)) / s2(y1),   x1 = (y1 − t1(x2)) / s1(x2).
 */
import type { CouplingNetwork } from '../../../../src-shared/config';
import type { LayerDescriptor } from '../../../../src-shared/protocol';
import { type Tensor, type Variable, tf } from '../../tf';
import type { Bijection, ForwardResult, InverseResult } from '../types';
import { mixSeed } from '../variables';
import { CouplingNet } from './couplingNets';

export interface DualAffineCouplingOptions {
  descriptor: LayerDescriptor;
  channels: number;
  network: CouplingNetwork;
  hidden: number;
  mixtures: number;
  /** `resnet-se`: squeeze-excitation reduction (default 4). */
  seReduction?: number;
  unconstrained: boolean;
  /** log s at initialisation (blockwise initialisation, init.ts). */
  logScaleInit: number;
  mexicanHatBiases: readonly number[];
  seed: number;
  /** Variable names start with this (`flow1/L1.B1.aff/`); the nets add `s1t1.`/`s2t2.`. */
  variablePrefix: string;
}

export class DualAffineCoupling implements Bijection {
  readonly descriptor: LayerDescriptor;
  readonly variables: readonly Variable[];
  readonly channels: number;
  /** Channels in x1. */
  readonly split: number;
  private readonly net1: CouplingNet;
  private readonly net2: CouplingNet;

  constructor(o: DualAffineCouplingOptions) {
    if (!Number.isInteger(o.channels) || o.channels < 2) {
      throw new Error(`${o.descriptor.name}: a coupling needs at least 2 channels, got ${o.channels}`);
    }
    this.descriptor = o.descriptor;
    this.channels = o.channels;
    const r = Math.floor(o.channels / 2);
    this.split = r;
    const common = {
      network: o.network,
      hidden: o.hidden,
      mixtures: o.mixtures,
      ...(o.seReduction !== undefined ? { seReduction: o.seReduction } : {}),
      unconstrained: o.unconstrained,
      logScaleInit: o.logScaleInit,
      mexicanHatBiases: o.mexicanHatBiases,
    };
    this.net1 = new CouplingNet({ ...common, inChannels: o.channels - r, outChannels: r, seed: mixSeed(o.seed, 1), variablePrefix: `${o.variablePrefix}s1t1.` });
    this.net2 = new CouplingNet({ ...common, inChannels: r, outChannels: o.channels - r, seed: mixSeed(o.seed, 2), variablePrefix: `${o.variablePrefix}s2t2.` });
    this.variables = [...this.net1.variables, ...this.net2.variables];
  }

  forward(x: Tensor): ForwardResult {
    this.checkInput(x);
    return tf.tidy(() => {
      const axis = x.rank - 1;
      const [x1, x2] = tf.split(x, [this.split, this.channels - this.split], axis) as [Tensor, Tensor];
      const a = this.net1.apply(x2);
      const y1 = tf.add(tf.mul(x1, tf.exp(a.logScale)), a.shift);
      const b = this.net2.apply(y1);
      const y2 = tf.add(tf.mul(x2, tf.exp(b.logScale)), b.shift);
      const reduce = Array.from({ length: axis }, (_, i) => i + 1);
      const logdet = tf.add(tf.sum(a.logScale, reduce), tf.sum(b.logScale, reduce));
      return { y: tf.concat([y1, y2], axis), logdet };
    });
  }

  inverse(y: Tensor): InverseResult {
    this.checkInput(y);
    return tf.tidy(() => {
      const axis = y.rank - 1;
      const [y1, y2] = tf.split(y, [this.split, this.channels - this.split], axis) as [Tensor, Tensor];
      const b = this.net2.apply(y1);
      const x2 = tf.mul(tf.sub(y2, b.shift), tf.exp(tf.neg(b.logScale)));
      const a = this.net1.apply(x2);
      const x1 = tf.mul(tf.sub(y1, a.shift), tf.exp(tf.neg(a.logScale)));
      const reduce = Array.from({ length: axis }, (_, i) => i + 1);
      const logdet = tf.neg(tf.add(tf.sum(a.logScale, reduce), tf.sum(b.logScale, reduce)));
      return { x: tf.concat([x1, x2], axis), logdet };
    });
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
