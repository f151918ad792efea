/**
 * An elementwise affine flow z = (x − μ)·exp(−s), log|det J| = −Σ s: the simplest real flow
 * (with the N(0, I) base it is a diagonal Gaussian, whose maximum-likelihood fit is known in
 * closed form). The training-loop tests use it so that they test the loop, fast, against an
 * analytic optimum; the paper's flow has its own tests.
 */
import type { LayerDescriptor } from '../../src-shared/protocol';
import type { EncodeResult, FlowModel } from '../../src-main/engine/flow/types';
import { type Tensor, type Variable, tf } from '../../src-main/engine/tf';

let counter = 0;

export function createAffineFlow(shape: number[]): FlowModel {
  const id = counter++;
  const mu = tf.variable(tf.zeros(shape), true, `affine${id}/mu`);
  const s = tf.variable(tf.zeros(shape), true, `affine${id}/s`);
  const dims = shape.reduce((a, b) => a * b, 1);
  const layers: LayerDescriptor[] = [{ name: 'L1.B1.aff', level: 0, block: 0, kind: 'aff' }];
  const apply = (x: Tensor): Tensor => tf.mul(tf.sub(x, mu), tf.exp(tf.neg(s)));
  const logdetOf = (batch: number): Tensor => tf.mul(tf.ones([batch]), tf.neg(tf.sum(s)));
  return {
    layers,
    latentShapes: [shape],
    dims,
    variables: [mu, s] as Variable[],
    parameterNames: ['affine/mu', 'affine/s'],
    blocks: [{ name: 'L1.B1', apply, inputShape: shape }],
    forward(x: Tensor, options?: { trace?: boolean }): EncodeResult {
      const z = apply(x);
      const logdet = logdetOf(x.shape[0]!);
      const result: EncodeResult = { latents: [z], logdet };
      if (options?.trace) {
        const moments = tf.moments(z);
        result.trace = { logdet: [tf.mean(logdet)], variance: [moments.variance], mean: [moments.mean], activationOutputs: [], blocks: [] };
      }
      return result;
    },
    inverse(latents: Tensor[]): Tensor {
      return tf.add(tf.mul(latents[0]!, tf.exp(s)), mu);
    },
    logProb(x: Tensor): Tensor {
      const z = tf.reshape(apply(x), [x.shape[0]!, -1]);
      return tf.add(tf.sub(tf.mul(tf.sum(tf.square(z), 1), -0.5), 0.5 * dims * Math.log(2 * Math.PI)), logdetOf(x.shape[0]!));
    },
    sampleLatents(n: number, temperature: number, seed: number): Tensor[] {
      return [tf.mul(tf.randomNormal([n, ...shape], 0, 1, 'float32', seed), temperature)];
    },
    dispose(): void {
      mu.dispose();
      s.dispose();
    },
  };
}
