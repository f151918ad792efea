/**
 * One optimisation step: loss (plus the Sec. 6.2 transport cost when configured), gradients
 * of every variable, Adamax update (skipped when anything is non-finite), and the per-layer
 * diagnostics of the same forward pass when asked. Shared by the training loop and the
 * benchmarks; every tensor it makes is released before it returns.
 */
import type { ModelConfig } from '../../../src-shared/config';
import type { FlowModel } from '../flow/types';
import { type Tensor, tf } from '../tf';
import type { Adamax } from './adamax';
import { perExampleLoss, transportCost } from './objective';

/** Result of one optimisation step (host numbers). */
export interface StepStats {
  loss: number;
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
  const cost = config.ablation.transportCost;
  const needTrace = withDiagnostics || cost > 0;
  const kept: Tensor[] = [];
  let diagLogdet: Tensor | null = null;
  let diagVariance: Tensor | null = null;
  try {
    const { value, grads } = tf.variableGrads(() => {
      const { loss, trace } = perExampleLoss(model, config, x, needTrace);
      let objective = tf.mean(loss);
      if (trace && withDiagnostics) {
        // Kept past variableGrads' own tidy so the host can read them after the update.
        diagLogdet = tf.keep(tf.stack(trace.logdet));
        diagVariance = tf.keep(tf.stack(trace.variance));
      }
      if (trace && cost > 0) objective = tf.add(objective, tf.mul(transportCost(trace), cost));
      return objective as tf.Scalar;
    }, model.variables as tf.Variable[]);
    kept.push(value, ...Object.values(grads));
    const gradNormT = tf.tidy(() => tf.sqrt(tf.addN(Object.values(grads).map((g) => tf.sum(tf.square(g))))));
    kept.push(gradNormT);
    const loss = value.dataSync()[0]!;
    const gradNorm = gradNormT.dataSync()[0]!;
    const finite = Number.isFinite(loss) && Number.isFinite(gradNorm);
    if (finite) optimizer.apply(model.variables, grads, lr);
    const stats: StepStats = { loss, gradNorm, finite };
    if (diagLogdet && diagVariance) {
      stats.layerLogdet = Array.from((diagLogdet as Tensor).dataSync());
      stats.layerVariance = Array.from((diagVariance as Tensor).dataSync());
    }
    return stats;
  } finally {
    for (const t of kept) t.dispose();
    (diagLogdet as Tensor | null)?.dispose();
    (diagVariance as Tensor | null)?.dispose();
  }
}
