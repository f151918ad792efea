/**
 * Open file handles of a cache's shards, shared by every read: a bounded number kept open
 * (least recently used closed first; CelebA-HQ at 1024² makes hundreds of shards), idle ones
 * closed after a while so a dataset nobody closes does not pin descriptors. Shards are opened
 * as regular files only (./regularFile).
 */
import type { FileHandle } from 'node:fs/promises';
import { openRegularFile } from './regularFile';

/** Open file handles kept at most. */
const MAX_OPEN_HANDLES = 32;
/** Handles unused this long are closed. */
const IDLE_CLOSE_MS = 10_000;

interface Slot {
  handle: Promise<FileHandle>;
  refs: number;
}

export class ShardHandles {
  private readonly slots = new Map<number, Slot>();
  private idleTimer: NodeJS.Timeout | null = null;

  constructor(private readonly paths: readonly string[]) {}

  /** Reads `target.length` bytes of shard `shard` at `position`; resolves with the bytes read. */
  async read(shard: number, target: Uint8Array, position: number): Promise<number> {
    try {
      const handle = await this.acquire(shard);
      let done = 0;
      // A positioned read may return less than asked; loop until the file ends.
      while (done < target.length) {
        const { bytesRead } = await handle.read(target, done, target.length - done, position + done);
        if (bytesRead === 0) break;
        done += bytesRead;
      }
      return done;
    } finally {
      this.release(shard);
    }
  }

  /** Opens (or reuses) a shard's handle and counts the user; pair with `release`. */
  private acquire(shard: number): Promise<FileHandle> {
    let slot = this.slots.get(shard);
    if (slot) {
      // Map order is insertion order: re-inserting keeps the least recently used first.
      this.slots.delete(shard);
    } else {
      const opened: Slot = { handle: openRegularFile(this.paths[shard]!), refs: 0 };
      // Forget a handle that failed to open, so a later read tries again.
      opened.handle.catch(() => {
        if (this.slots.get(shard) === opened) this.slots.delete(shard);
      });
      slot = opened;
    }
    this.slots.set(shard, slot);
    slot.refs += 1;
    return slot.handle;
  }

  private release(shard: number): void {
    const slot = this.slots.get(shard);
    if (slot) slot.refs -= 1;
    this.closeIdle();
    this.idleTimer?.refresh();
    if (!this.idleTimer) {
      this.idleTimer = setTimeout(() => {
        this.idleTimer = null;
        this.closeIdle(0);
      }, IDLE_CLOSE_MS);
      // Never keep the process alive just to close files.
      this.idleTimer.unref();
    }
  }

  /** Closes the least recently used handles nobody is reading from, down to `keep`. */
  private closeIdle(keep = MAX_OPEN_HANDLES): void {
    if (this.slots.size <= keep) return;
    for (const [shard, slot] of this.slots) {
      if (this.slots.size <= keep) break;
      if (slot.refs > 0) continue;
      this.slots.delete(shard);
      void slot.handle.then((h) => h.close()).catch(() => undefined);
    }
  }

  async close(): Promise<void> {
    if (this.idleTimer) clearTimeout(this.idleTimer);
    this.idleTimer = null;
    const slots = [...this.slots.values()];
    this.slots.clear();
    await Promise.allSettled(slots.map(async (slot) => (await slot.handle).close()));
  }
}
