/**
 * One optimisation step: the objective (the NLL, plus the Sec. 6.2 transport cost when
 * configured), gradients of every variable, Adamax update, and the per-layer diagnostics of the
 * same forward pass when asked. `loss` is the likelihood alone; the penalised objective and the
 * cost come apart. Shared by the training loop and the benchmarks; every tensor it makes is
 * released before it returns.
 *
 * One read per step, asynchronous: objective, gradient norm, a finite flag, the NLL (and the
 * cost) and, on diagnostics steps, the per-layer log-det and variance and the activations'
 * slope tables travel back in one packed vector. The update is computed on the device before
 * that read and lands in the variables after it only when the flag says finite
 * (Adamax.update/commit): a non-finite objective or gradient never reaches the weights or the
 * optimiser state, and nothing waits for the host in between.
 */
import type { ModelConfig } from '../../../src-shared/config';
import type { FlowModel } from '../flow/types';
import { sumAll } from '../ops/sum';
import { type Tensor, tf } from '../tf';
import type { Adamax, PendingUpdate } from './adamax';
import { trainingObjective } from './objective';

/** Result of one optimisation step (host numbers). */
export interface StepStats {
  /** Mean NLL of the batch (bpd for images, nats for toys), without any penalty. */
  loss: number;
  /** With a transport cost: the objective minimised, loss + λ·transportCost. */
  objective?: number;
  /** The unweighted transport cost T (objective.ts). */
  transportCost?: number;
  gradNorm: number;
  /** False when the objective or the gradient norm was not finite: the update was not applied. */
  finite: boolean;
  layerLogdet?: number[];
  layerVariance?: number[];
  /** Supremum of f' of each f_act (act-layer order), on diagnostics steps. */
  activationMaxSlope?: number[];
}

export interface StepInput {
  model: FlowModel;
  config: ModelConfig;
  optimizer: Adamax;
  /** The batch in the model's input range (dequantised images or toy points). */
  x: Tensor;
  lr: number;
  withDiagnostics: boolean;
}

/** True (bool scalar) when v is neither NaN nor ±∞: v − v is 0 exactly then, NaN otherwise. */
export function isFiniteScalar(v: Tensor): Tensor {
  return tf.tidy(() => tf.equal(tf.sub(v, v), 0));
}

export async function optimisationStep({ model, config, optimizer, x, lr, withDiagnostics }: StepInput): Promise<StepStats> {
  const held: Tensor[] = [];
  let likelihood: Tensor | null = null;
  let withTransport = false;
  let diagnostics: Tensor | null = null;
  let slopes: Tensor | null = null;
  let layerCount = 0;
  let packed: Tensor;
  let update: PendingUpdate;
  try {
    const { value, grads } = tf.variableGrads(() => {
      const { nll, objective, transport, trace } = trainingObjective(model, config, x, withDiagnostics);
      // The likelihood and the cost, kept past variableGrads' own tidy for the one read.
      withTransport = transport !== undefined;
      likelihood = tf.keep(tf.stack(transport ? [nll, transport] : [nll]));
      held.push(likelihood);
      if (trace && withDiagnostics) {
        layerCount = trace.logdet.length;
        diagnostics = tf.keep(tf.concat([tf.stack(trace.logdet), tf.stack(trace.variance)]));
        held.push(diagnostics);
      }
      return objective as tf.Scalar;
    }, model.variables as tf.Variable[]);
    held.push(value, ...Object.values(grads));
    // The activations' tables of the parameters this step's loss saw.
    if (withDiagnostics && model.activationSlopeData) {
      slopes = model.activationSlopeData();
      held.push(slopes);
    }
    packed = tf.tidy(() => {
      const gradNorm = tf.sqrt(sumAll(Object.values(grads).map((g) => tf.sum(tf.square(g)))));
      const finite = isFiniteScalar(tf.add(value, gradNorm));
      const parts = [tf.reshape(value, [1]), tf.reshape(gradNorm, [1]), tf.reshape(tf.cast(finite, 'float32'), [1]), likelihood!];
      if (diagnostics) parts.push(diagnostics);
      if (slopes) parts.push(slopes);
      return tf.concat(parts);
    });
    try {
      update = optimizer.update(model.variables, grads, lr);
    } catch (error) {
      packed.dispose();
      throw error;
    }
  } finally {
    tf.dispose(held);
  }
  let data: Float32Array;
  try {
    data = (await packed.data()) as Float32Array;
  } catch (error) {
    update.discard();
    throw error;
  } finally {
    packed.dispose();
  }
  const finite = data[2] === 1;
  if (finite) update.commit();
  else update.discard();
  const stats: StepStats = { loss: data[3]!, gradNorm: data[1]!, finite };
  let at = 4;
  if (withTransport) {
    Object.assign(stats, { objective: data[0]!, transportCost: data[4]! });
    at = 5;
  }
  if (layerCount > 0) {
    stats.layerLogdet = Array.from(data.subarray(at, at + layerCount));
    stats.layerVariance = Array.from(data.subarray(at + layerCount, at + 2 * layerCount));
    at += 2 * layerCount;
  }
  if (slopes && model.activationMaxSlopesFrom) stats.activationMaxSlope = model.activationMaxSlopesFrom(data.subarray(at));
  return stats;
}
