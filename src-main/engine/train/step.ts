/**
 * One optimisation step: the objective (the NLL, plus the Sec. 6.2 transport cost when
 * configured), gradients of every variable, Adamax update (skipped when anything is
 * non-finite), and the per-layer diagnostics of the same forward pass when asked. `loss` is the
 * likelihood alone; the penalised objective and the cost come apart. Shared by the training
 * loop and the benchmarks; every tensor it makes is released before it returns.
 */
import type { ModelConfig } from '../../../src-shared/config';
import type { FlowModel } from '../flow/types';
import { type Tensor, tf } from '../tf';
import type { Adamax } from './adamax';
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
  finite: boolean;
  layerLogdet?: number[];
  layerVariance?: number[];
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

export function optimisationStep({ model, config, optimizer, x, lr, withDiagnostics }: StepInput): StepStats {
  const kept: Tensor[] = [];
  let parts: Tensor | null = null;
  let diagLogdet: Tensor | null = null;
  let diagVariance: Tensor | null = null;
  try {
    const { value, grads } = tf.variableGrads(() => {
      const { nll, objective, transport, trace } = trainingObjective(model, config, x, withDiagnostics);
      // The likelihood and the cost, kept past variableGrads' tidy for the one read below.
      parts = tf.keep(tf.stack(transport ? [nll, transport] : [nll]));
      if (trace && withDiagnostics) {
        // Kept past variableGrads' own tidy so the host can read them after the update.
        diagLogdet = tf.keep(tf.stack(trace.logdet));
        diagVariance = tf.keep(tf.stack(trace.variance));
      }
      return objective as tf.Scalar;
    }, model.variables as tf.Variable[]);
    kept.push(value, ...Object.values(grads));
    const gradNormT = tf.tidy(() => tf.sqrt(tf.addN(Object.values(grads).map((g) => tf.sum(tf.square(g))))));
    kept.push(gradNormT);
    const host = tf.tidy(() => tf.concat([tf.reshape(value, [1]), tf.reshape(gradNormT, [1]), parts as unknown as Tensor]));
    kept.push(host);
    const [objective, gradNorm, loss, transport] = Array.from(host.dataSync()) as [number, number, number, number | undefined];
    const finite = Number.isFinite(objective) && Number.isFinite(gradNorm);
    if (finite) optimizer.apply(model.variables, grads, lr);
    const stats: StepStats = { loss, gradNorm, finite };
    if (transport !== undefined) Object.assign(stats, { objective, transportCost: transport });
    if (diagLogdet && diagVariance) {
      stats.layerLogdet = Array.from((diagLogdet as Tensor).dataSync());
      stats.layerVariance = Array.from((diagVariance as Tensor).dataSync());
    }
    return stats;
  } finally {
    for (const t of kept) t.dispose();
    (diagLogdet as Tensor | null)?.dispose();
    (diagVariance as Tensor | null)?.dispose();
    (parts as Tensor | null)?.dispose();
  }
}
