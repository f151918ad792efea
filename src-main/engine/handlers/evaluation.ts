/**
 * Evaluation commands: `evaluate` (a run's bpd or NLL on a split, with progress events) and
 * `check` (a preset's flow: round-trip error and log-det against the autodiff Jacobian).
 */
import { createHash } from 'node:crypto';
import { lossUnit } from '../../../src-shared/lossUnit';
import { type ModelConfig, checkModelShape, resolveRunConfig } from '../../../src-shared/config';
import type { evaluationCommands } from '../../../src-shared/protocol';
import { sharedDatasets } from '../../data/openedDatasets';
import { initBackend } from '../backend';
import { checkLogdet, invertibilityError, perturbVariables } from '../check/jacobian';
import { type Handlers, progressEvent } from '../context';
import { createFlowModel } from '../flow/model';
import { checkDataMatchesModel } from '../runs/runManager';
import { runManager } from '../state';
import { tf } from '../tf';
import { evaluate } from '../train/evaluate';
import { deriveSeed } from '../train/seeds';

/** Evaluation batch when none is given: the run's batch, at most this. */
const DEFAULT_EVAL_BATCH = 256;

/** The model on the smallest square input its levels allow with at most `maxDims` dimensions. */
export function reducedModel(model: ModelConfig, maxDims: number): ModelConfig {
  if (lossUnit(model) !== 'bpd') return model;
  const [h, , c] = model.inputShape as [number, number, number];
  for (let size = 1; size <= h; size++) {
    const candidate = { ...model, inputShape: [size, size, c] };
    if (checkModelShape(candidate).length === 0) return size * size * c <= maxDims || size === h ? candidate : model;
  }
  return model;
}

export const evaluationHandlers: Handlers<keyof typeof evaluationCommands> = {
  evaluate: async ({ run: ref, data, split, n, batchSize }, ctx) => {
    await initBackend();
    const run = await runManager().load(ref);
    const spec = data ?? run.config.data;
    const dataset = await sharedDatasets.open(spec);
    checkDataMatchesModel(dataset, { ...run.config, data: spec });
    const taskId = `eval:${createHash('sha1').update(`${run.folder.dir}\n${spec}\n${split}`).digest('hex').slice(0, 12)}`;
    const started = performance.now();
    const result = await evaluate({
      model: run.model,
      config: run.config.model,
      dataset,
      split,
      limit: n ?? (split === 'train' ? dataset.info.trainCount : dataset.info.testCount),
      batchSize: batchSize ?? Math.min(DEFAULT_EVAL_BATCH, run.config.train.batchSize),
      // The trainer's evaluation seed: eval reproduces the run's own test figures exactly.
      seed: deriveSeed(run.config.train.seed, 'eval'),
      onProgress: (done, total) => {
        const seconds = (performance.now() - started) / 1000;
        const rate = seconds > 0 ? done / seconds : null;
        ctx.emit('progress', progressEvent({ task: `eval ${split}`, done, total, ratePerSecond: rate, etaSeconds: rate ? (total - done) / rate : null }, taskId));
      },
    });
    return {
      runDir: run.folder.dir,
      data: spec,
      split,
      step: run.step,
      count: result.count,
      unit: lossUnit(run.config.model),
      mean: result.mean,
      standardError: result.standardError,
      seconds: (performance.now() - started) / 1000,
    };
  },

  check: async ({ preset, overrides, seed, perturb, maxJacobianDims }) => {
    await initBackend();
    const full = resolveRunConfig(preset, overrides).model;
    const shapeOf = (m: ModelConfig): number[] => [1, ...m.inputShape];
    const model = createFlowModel(full, { seed });
    let invError: number;
    try {
      perturbVariables(model, perturb, seed + 1);
      const x = tf.randomUniform(shapeOf(full), -0.5, 0.5, 'float32', seed + 2);
      invError = await invertibilityError(model, x);
      x.dispose();
    } catch (error) {
      model.dispose();
      throw error;
    }
    // The Jacobian has d² entries: large inputs are checked on the same architecture, smaller.
    const fullDims = full.inputShape.reduce((a, b) => a * b, 1);
    const small = fullDims <= maxJacobianDims ? full : reducedModel(full, maxJacobianDims);
    const smallModel = small === full ? model : createFlowModel(small, { seed });
    try {
      if (smallModel !== model) perturbVariables(smallModel, perturb, seed + 1);
      const xs = tf.randomUniform(shapeOf(small), -0.5, 0.5, 'float32', seed + 3);
      const logdet = await checkLogdet(smallModel, xs);
      xs.dispose();
      return {
        preset,
        inputShape: full.inputShape,
        perturbation: perturb,
        invertibilityMaxAbsError: invError,
        logdetInputShape: small.inputShape,
        logdetModel: logdet.model,
        logdetAutodiff: logdet.autodiff,
        logdetMaxRelError: logdet.relativeError,
      };
    } finally {
      if (smallModel !== model) smallModel.dispose();
      model.dispose();
    }
  },
};
