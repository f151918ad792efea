/**
 * Rational-quadratic spline coupling (Durkan et al. 2019, "RQ-NSF (C)"): the channels split as
 * in a channel-wise coupling (the first ⌊c/2⌋ condition, parity 1 swaps); a network maps the
 * conditioning part to 3K − 1 raw parameters per transformed element (K widths, K heights,
 * K − 1 inner derivatives, layout [..., element, parameter]); each transformed element goes
 * through its own monotonic RQ spline on [−B, B] with identity tails (splineMath.ts).
 *   log|det J| = Σ log spline'(x_b).
 * The output layer's weights start at 0 and its derivative biases at softplus⁻¹(1 − d_min), so
 * the coupling is the identity at initialisation (uniform bins, slope 1 everywhere).
 */
import type { LayerDescriptor } from '../../../../src-shared/protocol';
import { type Tensor, type Variable, tf } from '../../tf';
import type { Bijection, ForwardResult, InverseResult } from '../types';
import { Conditioner, type CouplingNetChoice } from './couplingNets';
import { splineCouplingSizes, splineParameterCount } from '../couplingWidths';
import { identityDerivativeLogit, rqSpline } from './splineMath';

export interface SplineCouplingOptions extends CouplingNetChoice {
  descriptor: LayerDescriptor;
  channels: number;
  parity: number;
  bins: number;
  tailBound: number;
}

export class SplineCoupling implements Bijection {
  readonly descriptor: LayerDescriptor;
  readonly variables: readonly Variable[];
  private readonly net: Conditioner;
  private readonly channels: number;
  private readonly parity: number;
  private readonly bins: number;
  private readonly bound: number;

  constructor(o: SplineCouplingOptions) {
    if (!Number.isInteger(o.channels) || o.channels < 2) throw new Error(`${o.descriptor.name}: a coupling needs at least 2 channels, got ${o.channels}`);
    if (!Number.isInteger(o.bins) || o.bins < 2) throw new Error(`${o.descriptor.name}: a spline needs at least 2 bins, got ${o.bins}`);
    if (!(o.tailBound > 0)) throw new Error(`${o.descriptor.name}: the tail bound must be positive, got ${o.tailBound}`);
    if (o.parity !== 0 && o.parity !== 1) throw new Error(`${o.descriptor.name}: parity must be 0 or 1, got ${o.parity}`);
    this.descriptor = o.descriptor;
    this.channels = o.channels;
    this.parity = o.parity;
    this.bins = o.bins;
    this.bound = o.tailBound;
    const sizes = splineCouplingSizes(o.channels, o.parity, o.bins);
    const per = splineParameterCount(o.bins);
    const bias = new Float32Array(sizes.outputs);
    for (let e = 0; e < sizes.transformed; e++) for (let j = 2 * o.bins; j < per; j++) bias[e * per + j] = identityDerivativeLogit();
    this.net = Conditioner.forCoupling(o, sizes.inputs, bias);
    this.variables = this.net.variables;
  }

  forward(x: Tensor): ForwardResult {
    return this.run(x, false);
  }

  inverse(y: Tensor): InverseResult {
    const r = this.run(y, true);
    return { x: r.y, logdet: r.logdet };
  }

  private run(x: Tensor, inverse: boolean): ForwardResult {
    if ((x.rank !== 2 && x.rank !== 4) || x.shape[x.rank - 1] !== this.channels) {
      throw new Error(`${this.descriptor.name}: expects [batch, ${this.channels}] or [batch, h, w, ${this.channels}], got [${x.shape}]`);
    }
    return tf.tidy(() => {
      const axis = x.rank - 1;
      const half = Math.floor(this.channels / 2);
      const [first, second] = tf.split(x, [half, this.channels - half], axis) as [Tensor, Tensor];
      const [a, b] = this.parity === 0 ? [first, second] : [second, first];
      const theta = this.net.apply(a);
      const E = b.size;
      const r = rqSpline(tf.reshape(b, [E]), tf.reshape(theta, [E, splineParameterCount(this.bins)]), this.bins, this.bound, inverse);
      const yb = tf.reshape(r.out, b.shape);
      const logdet = tf.sum(tf.reshape(r.logDerivative, [x.shape[0]!, -1]), 1);
      return { y: this.parity === 0 ? tf.concat([a, yb], axis) : tf.concat([yb, a], axis), logdet };
    });
  }

  dispose(): void {
    for (const v of this.variables) v.dispose();
  }
}
