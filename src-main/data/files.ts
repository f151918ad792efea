/** Small filesystem helpers shared by the loaders: paths, gzip, atomic writes. */
import { randomBytes } from 'node:crypto';
import { constants } from 'node:fs';
import { type FileHandle, access, open, rename, rm, stat, writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { gunzip } from 'node:zlib';
import { DataError, messageOf } from './errors';
import { readRegularFile } from './regularFile';

const gunzipAsync = promisify(gunzip);

/** Resolves `~` and relative paths the way a user typing a data spec means them. */
export function resolveUserPath(path: string): string {
  if (path === '~') return homedir();
  if (path.startsWith('~/')) return join(homedir(), path.slice(2));
  return resolve(path);
}

export async function exists(path: string): Promise<boolean> {
  try {
    await access(path, constants.F_OK);
    return true;
  } catch {
    return false;
  }
}

/** Fails with a DataError naming the path when it is missing or not a folder. */
export async function requireDirectory(path: string, what: string): Promise<void> {
  let isDir: boolean;
  try {
    isDir = (await stat(path)).isDirectory();
  } catch {
    throw new DataError(`${what} folder ${path} does not exist`, path);
  }
  if (!isDir) throw new DataError(`${path} is not a folder (a ${what} spec names the folder holding the files)`, path);
}

/** Inflated data larger than this is refused (a gzip bomb); IDX files are tens of megabytes. */
const MAX_INFLATED_BYTES = 2 ** 31 - 1;

/** Reads a regular file, inflating it when it starts with the gzip magic bytes (whatever its name). */
export async function readMaybeGzip(path: string): Promise<Buffer> {
  const raw = await readRegularFile(path);
  if (raw.length >= 2 && raw[0] === 0x1f && raw[1] === 0x8b) {
    try {
      return await gunzipAsync(raw, { maxOutputLength: MAX_INFLATED_BYTES });
    } catch (error) {
      throw new DataError(`${path} is not valid gzip (truncated or corrupt): ${messageOf(error)}`, path);
    }
  }
  return raw;
}

/** A name for a temporary sibling that no other process or call will pick. */
export function tempPath(path: string): string {
  return `${path}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`;
}

/** Buffers handed to one writev call at most (IOV_MAX is 1024 on Linux). */
const WRITEV_BATCH = 512;

/**
 * Writes a file so that readers see either the old content or the complete new one: write a
 * temporary sibling, then rename it over the target (rename is atomic within a filesystem,
 * and replaces a symbolic link rather than writing through it). `data` may be a list of
 * parts (a shard's records), written in order without first joining them in memory: a
 * 30 MB join would hold the event loop for tens of milliseconds.
 */
export async function writeFileAtomic(path: string, data: Uint8Array | string | readonly Uint8Array[]): Promise<void> {
  const temp = tempPath(path);
  try {
    if (typeof data === 'string' || data instanceof Uint8Array) {
      await writeFile(temp, data);
    } else {
      const handle = await open(temp, 'w');
      try {
        for (let at = 0; at < data.length; at += WRITEV_BATCH) await writeAll(handle, data.slice(at, at + WRITEV_BATCH));
      } finally {
        await handle.close();
      }
    }
    await rename(temp, path);
  } catch (error) {
    await rm(temp, { force: true });
    throw error;
  }
}

/** writev may write less than asked: go on from where it stopped. */
async function writeAll(handle: FileHandle, parts: Uint8Array[]): Promise<void> {
  let pending = parts.filter((p) => p.length > 0);
  while (pending.length > 0) {
    let written = (await handle.writev(pending)).bytesWritten;
    while (pending.length > 0 && written >= pending[0]!.length) {
      written -= pending[0]!.length;
      pending = pending.slice(1);
    }
    if (written > 0) pending = [pending[0]!.subarray(written), ...pending.slice(1)];
  }
}
