/**
 * Opened datasets kept alive in the engine process, keyed by spec, so the UI's repeated
 * `datasetImage` calls do not reload or rescan. A few are kept (least recently used go);
 * opening the same spec twice at once shares one open.
 */
import { openDataset } from './index';
import type { OpenOptions, OpenedDataset } from './types';

export type DatasetOpener = (spec: string, options: OpenOptions) => Promise<OpenedDataset>;

export class OpenedDatasets {
  private readonly entries = new Map<string, Promise<OpenedDataset>>();

  constructor(
    private readonly capacity = 4,
    private readonly opener: DatasetOpener = openDataset,
  ) {}

  /** The dataset for `spec`, opened now (with `options`) or earlier. A failed open is not kept. */
  open(spec: string, options: OpenOptions = {}): Promise<OpenedDataset> {
    const key = spec.trim();
    const existing = this.entries.get(key);
    if (existing) {
      this.entries.delete(key);
      this.entries.set(key, existing);
      return existing;
    }
    const opening = this.opener(key, options);
    this.entries.set(key, opening);
    opening.catch(() => {
      if (this.entries.get(key) === opening) this.entries.delete(key);
    });
    while (this.entries.size > this.capacity) {
      const [oldest, dataset] = this.entries.entries().next().value as [string, Promise<OpenedDataset>];
      this.entries.delete(oldest);
      // Closing only releases file handles; a stream still using it reopens what it needs.
      void dataset.then((d) => d.close()).catch(() => undefined);
    }
    return opening;
  }

  /** Forgets a spec (its files changed, or the user asked to reload). */
  async forget(spec: string): Promise<void> {
    const key = spec.trim();
    const entry = this.entries.get(key);
    this.entries.delete(key);
    if (entry) await entry.then((d) => d.close()).catch(() => undefined);
  }

  get size(): number {
    return this.entries.size;
  }
}

/** The engine process's shared registry: commands that show dataset images should use it. */
export const sharedDatasets = new OpenedDatasets();
