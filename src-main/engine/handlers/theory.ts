/**
 * Theory commands answered by the engine: `bounds` (the reference lines of Sec. 2 for a data
 * split, with progress events) and `lipschitz` (per-block Lipschitz estimates of a run's model
 * at a few test examples).
 */
import { createHash } from 'node:crypto';
import { lossUnit } from '../../../src-shared/lossUnit';
import { sharedDatasets } from '../../data/openedDatasets';
import { initBackend } from '../backend';
import type { theoryCommands } from '../../../src-shared/protocol';
import { type Handlers, progressEvent } from '../context';
import { runManager } from '../state';
import type { Tensor } from '../tf';
import { lipschitzPerBlock } from '../theory/blockLipschitz';
import { runBounds } from '../experiments/runBounds';
import { batchToInput } from '../train/objective';
import { deriveSeed } from '../train/seeds';

/** Examples the Lipschitz estimates are taken at (the largest over them is reported). */
const LIPSCHITZ_IMAGES = 4;
const LIPSCHITZ_POINTS = 256;

export const theoryHandlers: Handlers<keyof typeof theoryCommands> = {
  bounds: async ({ data, split, limit, heldOut, method }, ctx) => {
    const taskId = `bounds:${createHash('sha1').update(`${data}\n${split}`).digest('hex').slice(0, 12)}`;
    const report = await runBounds({
      data,
      split,
      ...(limit !== undefined ? { limit } : {}),
      heldOut,
      method,
      signal: ctx.signal,
      onProgress: (update) => ctx.emit('progress', progressEvent(update, taskId)),
      onWarning: (message) => ctx.log('warn', 'theory', message),
    });
    ctx.log(
      'info',
      'theory',
      `bounds of ${data} (${split}): PPCA ${report.detail.ppcaBpd.toFixed(4)} (${report.detail.ppcaMethod}), ` +
        `QLF ${report.detail.qlfBpd.toFixed(4)} bits/dim over ${report.bounds.count} examples in ${report.seconds.toFixed(1)} s`,
    );
    const { detail } = report;
    return {
      ...report.bounds,
      detail: {
        ppcaMethod: detail.ppcaMethod,
        stationaryPpcaBpd: detail.stationaryPpcaBpd,
        qlfLiteralBpd: detail.qlfLiteralBpd,
        backend: report.backend,
        seconds: report.seconds,
      },
    };
  },

  lipschitz: async ({ run: ref, iterations }, ctx) => {
    await initBackend();
    const run = await runManager().load(ref);
    const blocks = run.model.blocks;
    if (!blocks || blocks.length === 0) throw new Error(`the model of ${run.folder.dir} does not expose its blocks`);
    const dataset = await sharedDatasets.open(run.config.data);
    const n = Math.min(lossUnit(run.config.model) === 'nats' ? LIPSCHITZ_POINTS : LIPSCHITZ_IMAGES, dataset.info.testCount);
    if (n < 1) throw new Error(`${run.config.data} has no test examples to probe the blocks at`);
    let x: Tensor | null = null;
    for await (const batch of dataset.batches('test', { batchSize: n, seed: 0, shuffle: false, epochs: 1, limit: n })) {
      x = batchToInput(batch, run.config.model, deriveSeed(run.config.train.seed, 'diagnostics'));
      break;
    }
    if (!x) throw new Error(`${run.config.data} gave no test batch`);
    try {
      const results = await lipschitzPerBlock(blocks, x, { iterations });
      const methods = [...new Set(results.map((r) => r.method))].join(', ');
      const gaussian = results.filter((r) => r.input === 'gaussian').map((r) => r.name);
      ctx.log(
        'info',
        'theory',
        `Lipschitz estimates of ${blocks.length} blocks at ${n} test examples (${iterations} power iterations, JVP by ${methods})` +
          (gaussian.length > 0 ? `; probed at Gaussian inputs: ${gaussian.join(', ')}` : ''),
      );
      return { blocks: results.map((r) => ({ name: r.name, estimate: r.estimate })) };
    } finally {
      x.dispose();
    }
  },
};
