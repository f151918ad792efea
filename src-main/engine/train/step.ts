/**
 * One optimisation step: the objective (the NLL, plus the Sec. 6.2 transport cost when
 * configured), gradients of every variable (train/gradients.ts, in the run's memory mode), Adamax
 * update, and the per-layer diagnostics of the same forward pass when asked. `loss` is the
 * likelihood alone; the penalised objective and the cost come apart. Shared by the training loop
 * and the benchmarks; every tensor it makes is released before it returns.
 *
 * One read per step, asynchronous: objective, gradient norm, a finite flag, the NLL (and the
 * transport cost) and, on diagnostics steps,
 * the per-layer log-det and variance and the activations' slope tables travel back in one packed
 * vector. The update is computed on the device before that read and lands in the variables
 * after it only when the flag says finite (Adamax.update/commit): a non-finite loss or gradient
 * never reaches the weights or the optimiser state, and nothing waits for the host in between.
 */
import { type MemoryMode, type ModelConfig, defaultMemoryMode } from '../../../src-shared/config';
import { sumAll } from '../ops/sum';
import type { FlowModel } from '../flow/types';
import { type Tensor, tf } from '../tf';
import type { Adamax, PendingUpdate } from './adamax';
import { type GradientSource, lossAndGradientsYielding } from './gradients';

/** One turn of the event loop (I/O and queued requests run). */
function yieldToEvents(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/** Result of one optimisation step (host numbers). */
export interface StepStats {
  /** Mean NLL of the batch (bpd for images, nats for toys), without any penalty. */
  loss: number;
  /** With a transport cost: the objective minimised, loss + λ·transportCost. */
  objective?: number;
  /** The unweighted transport cost T (objective.ts). */
  transportCost?: number;
  gradNorm: number;
  /** False when the loss or the gradient norm was not finite: the update was not applied. */
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
  /** How the gradients are computed (train/gradients.ts); default by model kind (`defaultMemoryMode`). */
  memory?: MemoryMode;
  /** Who computes the loss and gradients: this process (default) or data-parallel workers (train/parallel). */
  gradients?: GradientSource;
}

/** True (bool scalar) when v is neither NaN nor ±∞: v − v is 0 exactly then, NaN otherwise. */
export function isFiniteScalar(v: Tensor): Tensor {
  return tf.tidy(() => tf.equal(tf.sub(v, v), 0));
}

export async function optimisationStep({ model, config, optimizer, x, lr, withDiagnostics, memory, gradients = lossAndGradientsYielding }: StepInput): Promise<StepStats> {
  const held: Tensor[] = [];
  let diagnostics: Tensor | null = null;
  let slopes: Tensor | null = null;
  let layerCount = 0;
  let withTransport = false;
  let packed: Tensor;
  let update: PendingUpdate;
  try {
    // Between blocks the event loop gets a turn: the engine answers requests during the step.
    const computed = await gradients(model, config, x, { memory: memory ?? defaultMemoryMode(config), diagnostics: withDiagnostics }, yieldToEvents);
    const { objective: value, grads } = computed;
    held.push(value, computed.nll, ...Object.values(grads));
    if (computed.transport) held.push(computed.transport);
    withTransport = computed.transport !== undefined;
    if (computed.layerLogdet && computed.layerVariance) {
      // To travel in the step's one read.
      held.push(computed.layerLogdet, computed.layerVariance, ...(computed.layerMean ? [computed.layerMean] : []));
      layerCount = computed.layerLogdet.shape[0]!;
      diagnostics = tf.concat([computed.layerLogdet, computed.layerVariance]);
      held.push(diagnostics);
    }
    // The activations' tables of the parameters this step's loss saw.
    if (withDiagnostics && model.activationSlopeData) {
      slopes = model.activationSlopeData();
      held.push(slopes);
    }
    packed = tf.tidy(() => {
      const gradNorm = tf.sqrt(sumAll(Object.values(grads).map((g) => tf.sum(tf.square(g)))));
      const finite = isFiniteScalar(tf.add(value, gradNorm));
      const parts = [tf.reshape(value, [1]), tf.reshape(gradNorm, [1]), tf.reshape(tf.cast(finite, 'float32'), [1]), tf.reshape(computed.nll, [1])];
      if (computed.transport) parts.push(tf.reshape(computed.transport, [1]));
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
