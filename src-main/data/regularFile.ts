/**
 * Reading files that may be hostile: only regular files are read, so a FIFO, a device or a
 * socket put where a dataset or cache file belongs is refused at once instead of blocking a
 * thread (reading a FIFO waits for a writer forever; sharp never returns on one). Files are
 * opened with O_NONBLOCK, so even a FIFO swapped in after the check does not block the open,
 * and the opened descriptor is checked again with fstat. Errors name the file and the
 * problem, never its contents.
 */
import { constants } from 'node:fs';
import { type FileHandle, open, stat } from 'node:fs/promises';
import type { z } from 'zod';
import { DataError, messageOf } from './errors';

// Windows has no O_NONBLOCK (and no FIFOs in the file system): 0 leaves the flags alone.
const READ_FLAGS = constants.O_RDONLY | (constants.O_NONBLOCK ?? 0);

/** Files larger than this are not read whole into memory (dataset files are streamed). */
export const MAX_WHOLE_FILE_BYTES = 2 ** 31 - 1;

/** What kind of non-regular file a stat describes, for error messages. */
export function fileKind(info: { isDirectory(): boolean; isFIFO(): boolean; isSocket(): boolean; isCharacterDevice(): boolean; isBlockDevice(): boolean }): string {
  if (info.isDirectory()) return 'a folder';
  if (info.isFIFO()) return 'a FIFO';
  if (info.isSocket()) return 'a socket';
  if (info.isCharacterDevice() || info.isBlockDevice()) return 'a device';
  return 'a special file';
}

export function notRegularError(path: string, kind: string): DataError {
  return new DataError(`${path} is not a regular file (it is ${kind}); only regular files are read`, path);
}

/** Whether `path` (following links) is a regular file; false when it is missing or anything else. */
export async function isRegularFile(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isFile();
  } catch {
    return false;
  }
}

/**
 * Opens a regular file for reading: stat first (a socket cannot even be opened), then open
 * without blocking, then fstat the descriptor (the path may have been swapped in between).
 */
export async function openRegularFile(path: string): Promise<FileHandle> {
  let info;
  try {
    info = await stat(path);
  } catch (error) {
    throw new DataError(`cannot open ${path}: ${messageOf(error)}`, path);
  }
  if (!info.isFile()) throw notRegularError(path, fileKind(info));
  let handle: FileHandle;
  try {
    handle = await open(path, READ_FLAGS);
  } catch (error) {
    throw new DataError(`cannot open ${path}: ${messageOf(error)}`, path);
  }
  try {
    const opened = await handle.stat();
    if (!opened.isFile()) throw notRegularError(path, fileKind(opened));
  } catch (error) {
    await handle.close().catch(() => undefined);
    throw error instanceof DataError ? error : new DataError(`cannot open ${path}: ${messageOf(error)}`, path);
  }
  return handle;
}

/** Reads a whole regular file, refusing anything larger than `maxBytes`. */
export async function readRegularFile(path: string, maxBytes = MAX_WHOLE_FILE_BYTES): Promise<Buffer> {
  const handle = await openRegularFile(path);
  try {
    const size = (await handle.stat()).size;
    if (size > maxBytes) throw new DataError(`${path} is ${size} bytes, more than the ${maxBytes} bytes it may have`, path);
    // Read in chunks up to the limit: files such as those of /proc report size 0 and still
    // have content, so the size alone does not bound the read.
    const chunks: Buffer[] = [];
    let total = 0;
    for (;;) {
      const chunk = Buffer.allocUnsafe(Math.min(Math.max(size - total, 64 * 1024), maxBytes - total + 1, 64 * 1024 * 1024));
      const { bytesRead } = await handle.read(chunk, 0, chunk.length, total);
      if (bytesRead === 0) break;
      total += bytesRead;
      if (total > maxBytes) throw new DataError(`${path} holds more than the ${maxBytes} bytes it may have`, path);
      chunks.push(chunk.subarray(0, bytesRead));
    }
    return chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, total);
  } catch (error) {
    throw error instanceof DataError ? error : new DataError(`cannot read ${path}: ${messageOf(error)}`, path);
  } finally {
    await handle.close().catch(() => undefined);
  }
}

/**
 * Reads and validates a JSON file. The errors say which file, and whether it is not JSON or
 * which field is wrong; never what the file holds (JSON.parse's own message quotes it, and
 * through a symbolic link that could be any file's first characters).
 */
export async function readJsonFile<T>(path: string, schema: z.ZodType<T>, maxBytes = 256 * 1024 * 1024): Promise<T> {
  const bytes = await readRegularFile(path, maxBytes);
  let value: unknown;
  try {
    value = JSON.parse(bytes.toString('utf8'));
  } catch {
    throw new DataError(`${path} is not valid JSON (truncated or corrupt)`, path);
  }
  const parsed = schema.safeParse(value);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const field = issue && issue.path.length > 0 ? issue.path.join('.') : 'its content';
    throw new DataError(`${path} is not what it should be: ${field} ${issue?.code === 'invalid_type' ? `has the wrong type (expected ${String((issue as { expected?: unknown }).expected)})` : 'is invalid'}`, path);
  }
  return parsed.data;
}
