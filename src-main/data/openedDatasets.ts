/**
 * An LRU of opened datasets, kept alive in the engine process by spec, so the UI's repeated
 * `datasetImage` calls do not reload or rescan. A few are kept (least recently used go);
 * opening the same spec twice at once shares one open.
 *
 * Cancelling: each caller may pass its own `signal`. A caller whose signal aborts gets an
 * AbortError at once; the shared open itself is aborted (its scan or cache build stops) only
 * when every caller waiting for it has aborted and none joined without a signal.
 */
import { DataAbortError } from './errors';
import { openDataset } from './index';
import type { OpenOptions, OpenedDataset } from './types';

export type DatasetOpener = (spec: string, options: OpenOptions) => Promise<OpenedDataset>;

interface Entry {
  opening: Promise<OpenedDataset>;
  controller: AbortController;
  /** Callers with a signal still waiting for the open. */
  waiting: number;
  /** A caller without a signal joined: the open must finish. */
  pinned: boolean;
  settled: boolean;
}

export class OpenedDatasets {
  private readonly entries = new Map<string, Entry>();

  constructor(
    private readonly capacity = 4,
    private readonly opener: DatasetOpener = openDataset,
  ) {}

  /** The dataset for `spec`, opened now (with `options`) or earlier. A failed open is not kept. */
  open(spec: string, options: OpenOptions = {}): Promise<OpenedDataset> {
    const key = spec.trim();
    const { signal, ...rest } = options;
    if (signal?.aborted) return Promise.reject(new DataAbortError(`opening ${key}`));
    let entry = this.entries.get(key);
    if (entry) {
      this.entries.delete(key);
      this.entries.set(key, entry);
    } else {
      entry = this.start(key, rest);
    }
    if (!signal || entry.settled) {
      entry.pinned = true;
      return entry.opening;
    }
    return this.follow(key, entry, signal);
  }

  private start(key: string, options: OpenOptions): Entry {
    const controller = new AbortController();
    const entry: Entry = { opening: this.opener(key, { ...options, signal: controller.signal }), controller, waiting: 0, pinned: false, settled: false };
    entry.opening.then(
      () => {
        entry.settled = true;
      },
      () => {
        entry.settled = true;
        this.drop(key, entry);
      },
    );
    this.entries.set(key, entry);
    while (this.entries.size > this.capacity) {
      const [oldest, evicted] = this.entries.entries().next().value as [string, Entry];
      this.entries.delete(oldest);
      // Closing only releases file handles; a stream still using it reopens what it needs.
      void evicted.opening.then((d) => d.close()).catch(() => undefined);
    }
    return entry;
  }

  /** The shared open, as seen by one caller that may give up on it. */
  private follow(key: string, entry: Entry, signal: AbortSignal): Promise<OpenedDataset> {
    entry.waiting += 1;
    return new Promise<OpenedDataset>((resolve, reject) => {
      let done = false;
      const finish = (): void => {
        done = true;
        entry.waiting -= 1;
        signal.removeEventListener('abort', onAbort);
      };
      const onAbort = (): void => {
        if (done) return;
        finish();
        reject(new DataAbortError(`opening ${key}`));
        if (entry.waiting === 0 && !entry.pinned && !entry.settled) {
          entry.controller.abort();
          this.drop(key, entry);
        }
      };
      signal.addEventListener('abort', onAbort, { once: true });
      entry.opening.then(
        (dataset) => {
          if (done) return;
          finish();
          resolve(dataset);
        },
        (error: unknown) => {
          if (done) return;
          finish();
          reject(error instanceof Error ? error : new Error(String(error)));
        },
      );
    });
  }

  private drop(key: string, entry: Entry): void {
    if (this.entries.get(key) === entry) this.entries.delete(key);
  }

  /** Forgets a spec (its files changed, or the user asked to reload). */
  async forget(spec: string): Promise<void> {
    const key = spec.trim();
    const entry = this.entries.get(key);
    this.entries.delete(key);
    if (entry) await entry.opening.then((d) => d.close()).catch(() => undefined);
  }

  get size(): number {
    return this.entries.size;
  }
}

/** The engine process's shared LRU: commands that show or stream dataset images use it. */
export const sharedDatasets = new OpenedDatasets();
