/**
 * Glow's learned split prior as a bijection. Glow factors out z_out after a level with the
 * conditional Gaussian prior N(z_out; μ(z_keep), σ(z_keep)²), (μ, log σ) from a zero-initialised
 * 3×3 convolution of the kept channels (`Conv2dZeros`: (conv + b)·exp(3·logs)). The same density
 * is a standard-normal prior on
 *   ε = (z_out − μ(z_keep)) · exp(−log σ(z_keep)),   log|det J| = −Σ log σ,
 * so this layer, placed last in a level, makes the model's standard-normal prior (prior.ts) be
 * Glow's learned one without touching the likelihood, the recomputing backward pass or
 * sampling: a latent ε drawn at temperature T gives z_out = μ + σ·ε ~ N(μ, T²σ²), Glow's
 * tempered sampling. The first `keep` channels are those the model keeps for the next level.
 */
import type { LayerDescriptor } from '../../../../src-shared/protocol';
import { conv2d } from '../../ops/conv2d';
import { matMul } from '../../ops/matmul';
import { type Tensor, type Variable, tf } from '../../tf';
import type { Bijection, ForwardResult, InverseResult } from '../types';
import { makeVariable } from '../variables';

/** Glow's `logscale_factor` of Conv2dZeros. */
const LOGSCALE_FACTOR = 3;

export class SplitPrior implements Bijection {
  readonly variables: readonly Variable[];
  private readonly weight: Variable;
  private readonly bias: Variable;
  private readonly logs: Variable;

  constructor(
    readonly descriptor: LayerDescriptor,
    readonly channels: number,
    readonly keep: number,
    image: boolean,
    variablePrefix: string,
  ) {
    if (!Number.isInteger(keep) || keep < 1 || keep >= channels) throw new Error(`${descriptor.name}: must keep 1 … ${channels - 1} channels, got ${keep}`);
    const outputs = 2 * (channels - keep);
    this.weight = makeVariable(`${variablePrefix}w`, tf.zeros(image ? [3, 3, keep, outputs] : [keep, outputs]));
    this.bias = makeVariable(`${variablePrefix}b`, tf.zeros([outputs]));
    this.logs = makeVariable(`${variablePrefix}logs`, tf.zeros([outputs]));
    this.variables = [this.weight, this.bias, this.logs];
  }

  forward(x: Tensor): ForwardResult {
    return this.run(x, 1);
  }

  inverse(y: Tensor): InverseResult {
    const r = this.run(y, -1);
    return { x: r.y, logdet: r.logdet };
  }

  private run(x: Tensor, sign: 1 | -1): ForwardResult {
    if ((x.rank !== 2 && x.rank !== 4) || x.shape[x.rank - 1] !== this.channels || (x.rank === 2) !== (this.weight.rank === 2)) {
      throw new Error(`${this.descriptor.name}: expects [batch, ${this.channels}]${this.weight.rank === 4 ? ' images' : ' vectors'}, got [${x.shape}]`);
    }
    return tf.tidy(() => {
      const axis = x.rank - 1;
      const out = this.channels - this.keep;
      const [kept, z] = tf.split(x, [this.keep, out], axis) as [Tensor, Tensor];
      const linear = x.rank === 4 ? conv2d(kept, this.weight) : matMul(kept, this.weight);
      const h = tf.mul(tf.add(linear, this.bias), tf.exp(tf.mul(this.logs, LOGSCALE_FACTOR)));
      const [mean, logSigma] = tf.split(h, [out, out], axis) as [Tensor, Tensor];
      const moved = sign === 1 ? tf.mul(tf.sub(z, mean), tf.exp(tf.neg(logSigma))) : tf.add(tf.mul(z, tf.exp(logSigma)), mean);
      const reduce = Array.from({ length: axis }, (_, i) => i + 1);
      return { y: tf.concat([kept, moved], axis), logdet: tf.mul(tf.sum(logSigma, reduce), -sign) };
    });
  }

  dispose(): void {
    for (const v of this.variables) v.dispose();
  }
}
