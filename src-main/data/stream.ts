/**
 * The reproducible batch stream: epoch e visits the split in the permutation drawn from
 * (seed, e); a position (epoch, offset) says exactly where the stream stands, so a stream
 * started at a batch's `position` continues with the batch the original stream gave next.
 * The next batches are read while the current one is used, within the memory budget.
 */
import { availableParallelism } from 'node:os';
import { DataError } from './errors';
import { mixSeed, permutation } from './random';
import type { RecordSource } from './source';
import type { Batch, BatchOptions, StreamPosition } from './types';

/** Tracks decoded bytes held by the streams of one dataset. */
export class MemoryMeter {
  held = 0;
  peak = 0;

  acquire(bytes: number): void {
    this.held += bytes;
    if (this.held > this.peak) this.peak = this.held;
  }

  release(bytes: number): void {
    this.held -= bytes;
  }
}

interface BatchPlan {
  indices: Uint32Array;
  labels: Int32Array | undefined;
  position: StreamPosition;
}

/** The epoch's visiting order: a seeded permutation, or file order. */
function epochOrder(count: number, options: BatchOptions, epoch: number): Uint32Array {
  if (options.shuffle) return permutation(count, mixSeed(options.seed, epoch, 0x5eed));
  const order = new Uint32Array(count);
  for (let i = 0; i < count; i++) order[i] = i;
  return order;
}

function checkPosition(start: StreamPosition, name: string): void {
  for (const key of ['epoch', 'offset'] as const) {
    const v = start[key];
    if (!Number.isSafeInteger(v) || v < 0) throw new DataError(`stream start for ${name}: ${key} must be a non-negative integer, got ${v}`);
  }
}

/** Which examples each batch holds, and the position after it. Pure and synchronous. */
export function* planBatches(source: RecordSource, options: BatchOptions, name: string): Generator<BatchPlan> {
  const count = Math.min(source.count, options.limit ?? Number.POSITIVE_INFINITY);
  const batchSize = options.batchSize;
  if (!Number.isSafeInteger(batchSize) || batchSize < 1) throw new DataError(`batch size must be a positive integer, got ${batchSize}`);
  const dropLast = options.dropLast ?? false;
  const epochs = options.epochs ?? (options.shuffle ? Number.POSITIVE_INFINITY : 1);
  const start = options.start ?? { epoch: 0, offset: 0 };
  checkPosition(start, name);
  if (count === 0) {
    if (epochs === Number.POSITIVE_INFINITY) throw new DataError(`${name} has no examples to stream`);
    return;
  }
  if (dropLast && batchSize > count) {
    throw new DataError(`batch size ${batchSize} is larger than the ${count} examples of ${name}: with dropLast no batch could be formed`);
  }
  let epoch = start.epoch;
  let offset = start.offset;
  let order: Uint32Array | null = null;
  let orderEpoch = -1;
  for (;;) {
    const remaining = count - offset;
    if (remaining <= 0 || (dropLast && remaining < batchSize)) {
      epoch += 1;
      offset = 0;
      continue;
    }
    if (epoch >= epochs) return;
    if (orderEpoch !== epoch) {
      order = epochOrder(count, options, epoch);
      orderEpoch = epoch;
    }
    const n = Math.min(batchSize, remaining);
    const indices = order!.slice(offset, offset + n);
    const labels = source.labels ? Int32Array.from(indices, (i) => source.labels![i]!) : undefined;
    let next: StreamPosition = { epoch, offset: offset + n };
    const left = count - next.offset;
    if (left <= 0 || (dropLast && left < batchSize)) next = { epoch: epoch + 1, offset: 0 };
    yield { indices, labels, position: next };
    epoch = next.epoch;
    offset = next.offset;
  }
}

export interface StreamSettings {
  shape: number[];
  budgetBytes: number;
  meter: MemoryMeter;
  /** Human name of the split, for errors: `the train split of fashion-mnist:/data`. */
  name: string;
  /** At most this many batches read ahead (the budget may allow fewer; default 2, more for decoding sources). */
  maxPrefetch?: number;
}

/** Batches of `source` per `options`, prefetching within `settings.budgetBytes`. */
export function streamBatches(source: RecordSource, options: BatchOptions, settings: StreamSettings): AsyncIterable<Batch> {
  return {
    [Symbol.asyncIterator]: () => batchIterator(source, options, settings),
  };
}

async function* batchIterator(source: RecordSource, options: BatchOptions, settings: StreamSettings): AsyncGenerator<Batch> {
  const bytesPerElement = source.kind === 'uint8' ? 1 : 4;
  const fullBatchBytes = options.batchSize * source.recordLength * bytesPerElement;
  if (fullBatchBytes > settings.budgetBytes) {
    throw new DataError(
      `a batch of ${options.batchSize} examples of ${settings.shape.join('×')} needs ${fullBatchBytes} bytes, more than the memory budget of ${settings.budgetBytes} bytes (${settings.name})`,
    );
  }
  // One batch is with the consumer; the rest of the budget holds batches read ahead. Sources
  // that decode read far enough ahead to keep every core decoding (batch 4 on 16 cores: 8).
  const wanted = source.decodes ? Math.max(2, Math.ceil((2 * availableParallelism()) / options.batchSize)) : 2;
  const prefetch = Math.min(settings.maxPrefetch ?? wanted, Math.floor(settings.budgetBytes / fullBatchBytes) - 1);
  const plans = planBatches(source, options, settings.name);
  const queue: { promise: Promise<Batch>; bytes: number }[] = [];
  let streamHeld = 0;
  const meter = settings.meter;
  let exhausted = false;

  const readPlan = (plan: BatchPlan): { promise: Promise<Batch>; bytes: number } => {
    const n = plan.indices.length;
    const bytes = n * source.recordLength * bytesPerElement;
    meter.acquire(bytes);
    streamHeld += bytes;
    const data = source.kind === 'uint8' ? new Uint8Array(n * source.recordLength) : new Float32Array(n * source.recordLength);
    const promise = source.read(plan.indices, data).then(() => {
      const batch: Batch = { data, n, shape: settings.shape, position: plan.position };
      if (plan.labels) batch.labels = plan.labels;
      return batch;
    });
    // A read that fails after the consumer stopped must not become an unhandled rejection.
    promise.catch(() => undefined);
    return { promise, bytes };
  };
  const fill = (slots: number): void => {
    while (!exhausted && queue.length < slots) {
      const next = plans.next();
      if (next.done) exhausted = true;
      else queue.push(readPlan(next.value));
    }
  };

  let withConsumer = 0;
  try {
    fill(1 + prefetch);
    while (queue.length > 0) {
      const head = queue.shift()!;
      const batch = await head.promise;
      // The consumer asked for this batch, so it is done with the previous one.
      meter.release(withConsumer);
      streamHeld -= withConsumer;
      withConsumer = head.bytes;
      fill(prefetch);
      yield batch;
    }
  } finally {
    meter.release(streamHeld);
    streamHeld = 0;
    await Promise.allSettled(queue.map((q) => q.promise));
  }
}
