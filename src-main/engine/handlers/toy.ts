/** Toy-lab commands (Fig. 3 / 7): density heat map and the data after every block. */
import { sharedDatasets } from '../../data/openedDatasets';
import { lossUnit } from '../../../src-shared/lossUnit';
import { initBackend } from '../backend';
import type { toyCommands } from '../../../src-shared/protocol';
import type { Handlers } from '../context';
import type { LoadedRun } from '../runs/runManager';
import { densityGrid, pointsThroughBlocks } from '../runs/inference';
import { runManager } from '../state';
import { tf } from '../tf';
import { checkpointsOf } from './images';

function requireToy(run: LoadedRun): void {
  if (lossUnit(run.config.model) !== 'nats' || run.config.model.inputShape[0] !== 2) {
    throw new Error(`${run.folder.dir} is not a 2-D toy model (input shape ${run.config.model.inputShape.join('×')})`);
  }
}

export const toyHandlers: Handlers<keyof typeof toyCommands> = {
  toyDensity: async ({ run: ref, resolution, extent }, ctx) => {
    await initBackend();
    const run = await runManager().load(ref);
    requireToy(run);
    return { resolution, extent, logDensity: await densityGrid(run.model, resolution, extent, checkpointsOf(ctx)) };
  },
  toyLayers: async ({ run: ref, n }) => {
    await initBackend();
    const run = await runManager().load(ref);
    requireToy(run);
    const dataset = await sharedDatasets.open(run.config.data);
    const count = Math.min(n, dataset.info.testCount);
    const batch = (await dataset.batches('test', { batchSize: count, seed: 0, shuffle: false, epochs: 1, limit: count })[Symbol.asyncIterator]().next()).value;
    if (!batch) throw new Error(`${run.config.data} has no test points`);
    const points = tf.tensor2d(batch.data as Float32Array, [batch.n, 2]);
    try {
      return { layers: await pointsThroughBlocks(run.model, points) };
    } finally {
      points.dispose();
    }
  },
};
