/** Experiment commands: the Sec. 6.2 ablation, with a progress task per variant. */
import { join } from 'node:path';
import type { experimentCommands } from '../../../src-shared/protocol';
import { sharedDatasets } from '../../data/openedDatasets';
import { initBackend } from '../backend';
import { type Handlers, progressEvent } from '../context';
import { runAblation } from '../experiments/ablation';
import { defaultRunsRoot } from '../train/runFolder';

/** Progress events per variant at most this often (a toy variant runs thousands of steps a minute). */
const PROGRESS_INTERVAL_MS = 250;

export const experimentHandlers: Handlers<keyof typeof experimentCommands> = {
  ablate: async (args, ctx) => {
    await initBackend();
    const outDir = args.outDir ?? join(defaultRunsRoot(), `ablation-${new Date().toISOString().replace(/[:.]/g, '-')}`);
    let lastEvent = 0;
    let variantStarted = performance.now();
    let currentVariant = '';
    const result = await runAblation({
      data: args.data,
      steps: args.steps,
      outDir,
      seed: args.seed,
      openDataset: (spec, options) => sharedDatasets.open(spec, options),
      ...(args.preset !== undefined ? { preset: args.preset } : {}),
      ...(args.batchSize !== undefined ? { batchSize: args.batchSize } : {}),
      ...(args.evalN !== undefined ? { evalN: args.evalN } : {}),
      ...(args.transportWeight !== undefined ? { transportWeight: args.transportWeight } : {}),
      ...(args.only !== undefined ? { only: args.only } : {}),
      ...(args.model !== undefined ? { model: args.model } : {}),
      onLog: (message) => ctx.log('info', 'ablate', message),
      onStep: (variant, step, total, loss) => {
        const now = performance.now();
        if (variant !== currentVariant) {
          currentVariant = variant;
          variantStarted = now;
        } else if (now - lastEvent < PROGRESS_INTERVAL_MS && step < total) return;
        lastEvent = now;
        const rate = step > 0 ? step / ((now - variantStarted) / 1000) : null;
        ctx.emit(
          'progress',
          progressEvent(
            {
              task: `ablate ${variant}`,
              done: step,
              total,
              ratePerSecond: rate,
              etaSeconds: rate ? (total - step) / rate : null,
              ...(loss !== undefined ? { message: `loss ${loss.toFixed(4)}` } : {}),
            },
            `ablate:${outDir}:${variant}`,
          ),
        );
      },
    });
    return {
      reportPath: result.reportPath,
      nllPlot: result.nllPlot,
      variancePlot: result.variancePlot,
      unit: result.unit,
      variants: result.outcomes.map((o) => ({
        name: o.variant.name,
        status: o.status,
        ...(o.failure !== undefined ? { failure: o.failure } : {}),
        lastStep: o.lastStep,
        finalTrain: o.nll.length > 0 ? o.nll[o.nll.length - 1]!.value : null,
        finalTest: o.finalTest,
        runDir: o.runDir,
      })),
    };
  },
};
