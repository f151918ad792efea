/**
 * Data commands answered by the engine: what a data spec holds (counts, shape, warnings and
 * a few examples as PNG, or points for 2-D toys) and single images from it. Opened datasets
 * are kept by spec, so browsing images does not reload them; scans and cache builds report
 * `progress` events and each skipped file a `log` warning.
 */
import { createHash } from 'node:crypto';
import type { CommandResult, dataCommands } from '../../../src-shared/protocol';
import { encodePng } from '../../data';
import { sharedDatasets } from '../../data/openedDatasets';
import type { OpenedDataset, ProgressUpdate } from '../../data/types';
import { type EngineContext, type Handlers, progressEvent } from '../context';

/** Warnings sent in one reply at most; the rest are summarised. */
const MAX_WARNINGS = 200;
/** Toy points returned by datasetInfo. */
const TOY_POINTS = 2000;

function taskIdOf(spec: string): string {
  return `data:${createHash('sha1').update(spec).digest('hex').slice(0, 12)}`;
}

function open(spec: string, ctx: EngineContext): Promise<OpenedDataset> {
  const taskId = taskIdOf(spec);
  return sharedDatasets.open(spec, {
    onProgress: (update: ProgressUpdate) => ctx.emit('progress', progressEvent(update, taskId, 'data:')),
    onWarning: (message) => ctx.log('warn', 'data', message),
  });
}

function capWarnings(warnings: string[]): string[] {
  if (warnings.length <= MAX_WARNINGS) return warnings;
  return [...warnings.slice(0, MAX_WARNINGS), `... and ${warnings.length - MAX_WARNINGS} more warnings`];
}

async function toyPoints(dataset: OpenedDataset): Promise<number[]> {
  const n = Math.min(TOY_POINTS, dataset.info.trainCount);
  for await (const batch of dataset.batches('train', { batchSize: n, seed: 0, shuffle: false, epochs: 1, limit: n })) {
    return Array.from(batch.data, (v) => Math.round(v * 1e4) / 1e4);
  }
  return [];
}

export const dataHandlers: Handlers<keyof typeof dataCommands> = {
  datasetInfo: async ({ data, examples }, ctx) => {
    const dataset = await open(data, ctx);
    const { info } = dataset;
    const result: CommandResult<'datasetInfo'> = {
      name: info.name,
      spec: info.spec,
      format: info.format,
      trainCount: info.trainCount,
      testCount: info.testCount,
      shape: info.shape,
      bits: info.bits,
      warnings: capWarnings(info.warnings),
      examples: [],
    };
    if (info.format === 'toy') {
      result.points = await toyPoints(dataset);
      return result;
    }
    // Spread the examples over the split so they show its variety, not its first files.
    const k = Math.min(examples, info.trainCount);
    for (let i = 0; i < k; i++) {
      const index = Math.floor((i * info.trainCount) / k);
      const example = await dataset.get('train', index);
      result.examples.push({ index, png: await encodePng(example), ...(example.label !== undefined ? { label: example.label } : {}) });
    }
    return result;
  },

  datasetImage: async ({ data, split, index }, ctx) => {
    const dataset = await open(data, ctx);
    if (dataset.info.format === 'toy') throw new Error(`${data} holds 2-D points, not images: use datasetInfo's points`);
    const example = await dataset.get(split, index);
    return { png: await encodePng(example), ...(example.label !== undefined ? { label: example.label } : {}) };
  },
};
