/**
 * TEMPORARY stand-in for f_act until the rational-quadratic activation (rqActivation.ts) lands:
 * the elementwise linear map y = β·x, which is what the RQ activation is at initialisation.
 * log|det J| = d·log β. No parameters.
 */
import type { LayerDescriptor } from '../../../../src-shared/protocol';
import { type Tensor, type Variable, tf } from '../../tf';
import type { Bijection, ForwardResult } from '../types';

export class LinearActivation implements Bijection {
  readonly variables: readonly Variable[] = [];
  readonly initialSlope: number;
  constructor(
    readonly descriptor: LayerDescriptor,
    readonly beta: number,
  ) {
    this.initialSlope = beta;
  }
  forward(x: Tensor): ForwardResult {
    return tf.tidy(() => {
      const dims = x.size / x.shape[0]!;
      return { y: tf.mul(x, this.beta), logdet: tf.fill([x.shape[0]!], dims * Math.log(this.beta)) };
    });
  }
  inverse(y: Tensor): Tensor {
    return tf.tidy(() => tf.div(y, this.beta));
  }
  maxDerivative(): number {
    return this.beta;
  }
}
