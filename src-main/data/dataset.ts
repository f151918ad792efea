/** The Dataset every format ends up as: two record sources, a seeded stream, accounting. */
import { DataError } from './errors';
import type { RecordSource } from './source';
import { MemoryMeter, streamBatches } from './stream';
import type { Batch, BatchOptions, DatasetInfo, Example, MemoryStats, OpenedDataset, Split } from './types';

export class LoadedDataset implements OpenedDataset {
  private readonly meter = new MemoryMeter();

  constructor(
    readonly info: DatasetInfo,
    private readonly sources: Record<Split, RecordSource>,
    private readonly budgetBytes: number,
  ) {}

  private splitName(split: Split): string {
    return `the ${split} split of ${this.info.spec}`;
  }

  private source(split: Split): RecordSource {
    if (split !== 'train' && split !== 'test') throw new DataError(`unknown split "${String(split)}" (train or test)`);
    return this.sources[split];
  }

  batches(split: Split, options: BatchOptions): AsyncIterable<Batch> {
    return streamBatches(this.source(split), options, {
      shape: this.info.shape,
      budgetBytes: this.budgetBytes,
      meter: this.meter,
      name: this.splitName(split),
    });
  }

  async get(split: Split, index: number): Promise<Example> {
    const source = this.source(split);
    if (!Number.isSafeInteger(index) || index < 0 || index >= source.count) {
      throw new DataError(`index ${index} is out of range: ${this.splitName(split)} has ${source.count} examples`);
    }
    const data = source.kind === 'uint8' ? new Uint8Array(source.recordLength) : new Float32Array(source.recordLength);
    await source.read([index], data);
    const example: Example = { data, shape: this.info.shape };
    const label = source.labels?.[index];
    if (label !== undefined) example.label = label;
    if (this.info.bits > 0) example.bits = this.info.bits;
    return example;
  }

  memoryStats(): MemoryStats {
    return {
      heldBytes: this.meter.held,
      peakBytes: this.meter.peak,
      budgetBytes: this.budgetBytes,
      residentBytes: this.sources.train.residentBytes + this.sources.test.residentBytes,
      streamedFromDisk: this.sources.train.onDisk || this.sources.test.onDisk,
    };
  }

  async close(): Promise<void> {
    await Promise.all([this.sources.train.close(), this.sources.test.close()]);
  }
}
