/**
 * The bounds of a dataset split from its spec: opens the dataset, streams it through
 * computeBounds twice and reports progress. Shared by `flowstudio bounds` and the `bounds`
 * protocol command.
 */
import type { Bounds } from '../../../src-shared/protocol';
import { openDataset } from '../../data';
import { ProgressTracker } from '../../data/progress';
import type { Dataset, ProgressUpdate, Split } from '../../data/types';
import { initBackend } from '../backend';
import { type BoundsResult, type ImageSource, type PpcaMethod, computeBounds, streamMoments } from '../theory/bounds';

/** Examples per batch read from the dataset (8-bit 32×32×3: 1.5 MB). */
const BATCH_SIZE = 512;

/** An ImageSource over one split of an opened dataset, in file order. */
export function datasetImageSource(dataset: Dataset, split: Split, limit?: number): ImageSource {
  const { info } = dataset;
  if (info.bits === 0 || info.shape.length !== 3) {
    throw new Error(`bounds are defined for n-bit image datasets; ${info.name} (${info.spec}) holds continuous points of shape [${info.shape.join(', ')}]`);
  }
  if (limit !== undefined && (!Number.isInteger(limit) || limit < 1)) throw new Error(`limit must be a positive integer, got ${limit}`);
  const count = split === 'train' ? info.trainCount : info.testCount;
  if (count === 0) throw new Error(`the ${split} split of ${info.spec} is empty`);
  const total = limit === undefined ? count : Math.min(limit, count);
  return {
    shape: info.shape,
    bits: info.bits,
    total,
    async *batches() {
      const stream = dataset.batches(split, { batchSize: BATCH_SIZE, seed: 0, shuffle: false, epochs: 1, dropLast: false, limit: total });
      for await (const batch of stream) {
        if (!(batch.data instanceof Uint8Array)) throw new Error(`${info.spec}: expected integer image batches, got floats`);
        yield { data: batch.data, n: batch.n };
      }
    },
  };
}

export interface BoundsRequest {
  data: string;
  split: Split;
  limit?: number;
  method?: PpcaMethod | 'auto';
  /** Also evaluate the training split's Gaussian on this (test) split: `heldOutPpcaBpd`. */
  heldOut?: boolean;
  onProgress?: (update: ProgressUpdate) => void;
  onWarning?: (message: string) => void;
  signal?: AbortSignal;
}

export interface BoundsReport {
  /** The protocol's Bounds object. */
  bounds: Bounds;
  /** Everything computeBounds measured, including the secondary estimates. */
  detail: BoundsResult;
  dataset: string;
  backend: string;
  seconds: number;
}

export async function runBounds(request: BoundsRequest): Promise<BoundsReport> {
  const started = performance.now();
  if (request.heldOut && request.split !== 'test') throw new Error('the held-out PPCA value is for the test split (the fit is the training split)');
  const backend = await initBackend();
  const dataset = await openDataset(request.data, {
    ...(request.onProgress ? { onProgress: request.onProgress } : {}),
    ...(request.onWarning ? { onWarning: request.onWarning } : {}),
    ...(request.signal ? { signal: request.signal } : {}),
  });
  try {
    const source = datasetImageSource(dataset, request.split, request.limit);
    let heldOutFit;
    if (request.heldOut) {
      const train = datasetImageSource(dataset, 'train');
      const fitTracker = new ProgressTracker('bounds 0/2: train fit', train.total ?? null, request.onProgress);
      heldOutFit = await streamMoments(train, (done) => fitTracker.update(done), request.signal);
      fitTracker.finish();
    }
    // One tracker per pass, started when its pass starts (so each pass gets its own rate).
    const tasks = { 1: 'bounds 1/2: moments', 2: 'bounds 2/2: spectra' } as const;
    let tracker: ProgressTracker | null = null;
    let trackedPass = 0;
    const detail = await computeBounds(source, {
      method: request.method ?? 'auto',
      onProgress: (p) => {
        if (!tracker || trackedPass !== p.pass) {
          tracker = new ProgressTracker(tasks[p.pass], source.total ?? null, request.onProgress);
          trackedPass = p.pass;
        }
        if (p.total !== null && p.done >= p.total) tracker.finish();
        else tracker.update(p.done);
      },
      ...(request.signal ? { signal: request.signal } : {}),
      ...(heldOutFit ? { heldOutFit } : {}),
    });
    const bounds: Bounds = {
      ppcaBpd: detail.ppcaBpd,
      qlfBpd: detail.qlfBpd,
      estimator: detail.estimator,
      ...(detail.heldOutPpcaBpd !== undefined ? { heldOutPpcaBpd: detail.heldOutPpcaBpd } : {}),
      split: request.split,
      dims: detail.dims,
      count: detail.count,
    };
    return { bounds, detail, dataset: dataset.info.name, backend: backend.active, seconds: (performance.now() - started) / 1000 };
  } finally {
    await dataset.close();
  }
}
