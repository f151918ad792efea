/**
 * Files that must survive a crash, and files that may be hostile. A durable write goes to a
 * temporary file, is fsynced, renamed over the target, and the folder is fsynced, so after a
 * kill or a power cut the target holds either the old content or the new, never a mix or
 * nothing. Small files (configs, pointers, status) are read only when they are regular files,
 * opened without blocking and checked again on the descriptor: a FIFO put where config.json
 * belongs is refused at once instead of blocking the engine's thread forever. Errors name the
 * file and the problem, never its content.
 */
import { type Stats, closeSync, constants, fstatSync, fsyncSync, openSync, readSync, renameSync, rmSync, statSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';

// Windows has no O_NONBLOCK (and no FIFOs in the file system): 0 leaves the flags alone.
const READ_FLAGS = constants.O_RDONLY | (constants.O_NONBLOCK ?? 0);

/** fsync of a folder, so a rename inside it is on disk (a no-op where folders cannot be opened). */
export function fsyncFolder(dir: string): void {
  let fd: number;
  try {
    fd = openSync(dir, 'r');
  } catch {
    return;
  }
  try {
    fsyncSync(fd);
  } catch {
    // Windows cannot fsync a folder handle; its renames are durable by the file system.
  } finally {
    closeSync(fd);
  }
}

/** Writes `data` to `path` and fsyncs it (no rename). */
export function writeFileSynced(path: string, data: string | Uint8Array): void {
  const fd = openSync(path, 'w');
  try {
    const bytes = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
    let at = 0;
    while (at < bytes.byteLength) at += writeSync(fd, bytes, at, bytes.byteLength - at);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/** Temporary file, fsync, rename over `path`, fsync of the folder. */
export function writeFileDurable(path: string, data: string | Uint8Array): void {
  const tmp = `${path}.tmp-${process.pid}`;
  try {
    writeFileSynced(tmp, data);
    renameSync(tmp, path);
  } catch (error) {
    rmSync(tmp, { force: true });
    throw error;
  }
  fsyncFolder(dirname(path));
}

function kindOf(info: Stats): string {
  if (info.isDirectory()) return 'a folder';
  if (info.isFIFO()) return 'a FIFO';
  if (info.isSocket()) return 'a socket';
  if (info.isCharacterDevice() || info.isBlockDevice()) return 'a device';
  return 'a special file';
}

/**
 * Reads a small regular file whole (synchronously: these are a few kilobytes, and the checks
 * make sure nothing can block). Throws when it is missing, not a regular file or too large.
 */
export function readRegularFileSync(path: string, maxBytes = 64 * 1024 * 1024): Buffer {
  const info = statSync(path, { throwIfNoEntry: true })!;
  if (!info.isFile()) throw new Error(`${path} is not a regular file (it is ${kindOf(info)}); only regular files are read`);
  const fd = openSync(path, READ_FLAGS);
  try {
    const opened = fstatSync(fd);
    if (!opened.isFile()) throw new Error(`${path} is not a regular file (it is ${kindOf(opened)}); only regular files are read`);
    if (opened.size > maxBytes) throw new Error(`${path} is ${opened.size} bytes, more than the ${maxBytes} it may have`);
    const buffer = Buffer.allocUnsafe(opened.size);
    let at = 0;
    while (at < buffer.length) {
      const n = readSync(fd, buffer, at, buffer.length - at, at);
      if (n === 0) break;
      at += n;
    }
    return buffer.subarray(0, at);
  } finally {
    closeSync(fd);
  }
}

/**
 * Parses a small JSON file. The error says which file and that it is not JSON, never what it
 * holds (JSON.parse's own message quotes the first characters, and through a symbolic link
 * those could be any file's).
 */
export function readJsonSync(path: string): unknown {
  const text = readRegularFileSync(path).toString('utf8');
  try {
    return JSON.parse(text);
  } catch {
    throw new Error(`${path} is not valid JSON (truncated or corrupt)`);
  }
}
