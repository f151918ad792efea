/**
 * Lists the image files below a folder, in a stable order, with bounded work: at most
 * `maxEntries` directory entries looked at and `maxDepth` folders deep; symbolic links are
 * followed only when they lead to somewhere inside the folder (so `folder:/proc/self` does not
 * walk the whole file system through `root`, `cwd` and `fd/`); only regular files count. Every
 * step is an awaited file-system call, so the event loop is never held, and `signal` stops the
 * scan between two entries.
 *
 * Order: by relative path, in JavaScript string order. Children of each folder are sorted with
 * a folder's name followed by `/`, so a depth-first walk yields exactly that global order
 * without one big sort at the end (a million names sort in about a second).
 */
import { lstat, readdir, realpath, stat } from 'node:fs/promises';
import { extname, isAbsolute, join, relative, sep } from 'node:path';
import { DataError, messageOf, throwIfAborted } from './errors';
import { requireDirectory } from './files';
import { fileKind } from './regularFile';
import { ProgressTracker } from './progress';
import type { ProgressUpdate } from './types';

/** Extensions decoded as images; other files are skipped with a warning. */
export const IMAGE_EXTENSIONS = new Set(['.png', '.jpg', '.jpeg', '.webp', '.tif', '.tiff', '.gif', '.avif']);

export interface FolderFile {
  /** Path relative to the folder, with `/` separators (the split hash and the sort use it). */
  name: string;
  path: string;
  size: number;
  mtimeMs: number;
}

export interface FolderScan {
  files: FolderFile[];
  warnings: string[];
}

export interface ScanLimits {
  /** Directory entries looked at, at most (files, folders, links; hidden ones included). */
  maxEntries: number;
  /** Folders below the root, at most; deeper ones are skipped with a warning. */
  maxDepth: number;
}

/** CelebA-HQ is 30 000 files and ImageNet's training set 1.3 M; a scan past this is a mistake. */
export const DEFAULT_SCAN_LIMITS: ScanLimits = { maxEntries: 2_000_000, maxDepth: 32 };

/** Stats run this many at a time (they are independent; the thread pool does them in parallel). */
const STAT_BATCH = 64;

export interface ScanOptions {
  onProgress?: (update: ProgressUpdate) => void;
  signal?: AbortSignal;
  limits?: Partial<ScanLimits>;
}

type Entry =
  | { kind: 'skip'; warning: string }
  | { kind: 'dir'; key: string; path: string; id: string }
  | { kind: 'file'; key: string; path: string; size: number; mtimeMs: number };

function byKey(a: { key: string }, b: { key: string }): number {
  return a.key < b.key ? -1 : a.key > b.key ? 1 : 0;
}

/** Whether the real path `path` is `root` or below it. */
function isInside(root: string, path: string): boolean {
  const rel = relative(root, path);
  return rel === '' || (rel !== '..' && !rel.startsWith(`..${sep}`) && !isAbsolute(rel));
}

/**
 * What one directory entry is. A plain entry of a folder that is inside the root is inside too;
 * a symbolic link is followed only when its real path is inside the root.
 */
async function inspect(root: string, dir: string, folder: string, name: string): Promise<Entry> {
  const path = join(folder, name);
  let info;
  try {
    info = await lstat(path);
    if (info.isSymbolicLink()) {
      const real = await realpath(path);
      if (!isInside(root, real)) return { kind: 'skip', warning: `${path}: skipped, a symbolic link that leads out of ${dir}` };
      info = await stat(real);
    }
  } catch (error) {
    return { kind: 'skip', warning: `${path}: skipped, cannot be read (${messageOf(error)})` };
  }
  if (info.isDirectory()) return { kind: 'dir', key: `${name}/`, path, id: `${info.dev}:${info.ino}` };
  if (!info.isFile()) return { kind: 'skip', warning: `${path}: skipped, not a regular file (it is ${fileKind(info)})` };
  const ext = extname(name);
  if (!IMAGE_EXTENSIONS.has(ext.toLowerCase())) return { kind: 'skip', warning: `${path}: skipped, not an image file (extension "${ext || 'none'}")` };
  return { kind: 'file', key: name, path, size: info.size, mtimeMs: info.mtimeMs };
}

export async function scanFolder(dir: string, options: ScanOptions = {}): Promise<FolderScan> {
  await requireDirectory(dir, 'image');
  const limits = { ...DEFAULT_SCAN_LIMITS, ...options.limits };
  const { signal } = options;
  const root = await realpath(dir);
  const files: FolderFile[] = [];
  const warnings: string[] = [];
  const progress = new ProgressTracker('scan', null, options.onProgress);
  // Folders already visited (device:inode): a link back up the tree is not a loop.
  const rootInfo = await stat(root);
  const seen = new Set<string>([`${rootInfo.dev}:${rootInfo.ino}`]);
  let entriesSeen = 0;
  const what = `scanning ${dir}`;

  const visit = async (folder: string, depth: number): Promise<void> => {
    throwIfAborted(signal, what);
    let names: string[];
    try {
      names = await readdir(folder);
    } catch (error) {
      if (depth === 0) throw new DataError(`image folder ${dir} cannot be listed: ${messageOf(error)}`, dir);
      warnings.push(`${folder}: skipped, the folder cannot be listed (${messageOf(error)})`);
      return;
    }
    entriesSeen += names.length;
    if (entriesSeen > limits.maxEntries) {
      throw new DataError(
        `image folder ${dir} holds more than ${limits.maxEntries} entries (files and folders); the scan stopped in ${folder}: point the spec at the folder of the images`,
        dir,
      );
    }
    // Hidden files are OS and tool metadata (.DS_Store, ._x.jpg): not data, not worth a warning.
    const visible = names.filter((name) => !name.startsWith('.'));
    const entries: Entry[] = [];
    for (let at = 0; at < visible.length; at += STAT_BATCH) {
      throwIfAborted(signal, what);
      entries.push(...(await Promise.all(visible.slice(at, at + STAT_BATCH).map((name) => inspect(root, dir, folder, name)))));
    }
    const children: Exclude<Entry, { kind: 'skip' }>[] = [];
    for (const entry of entries) {
      if (entry.kind === 'skip') warnings.push(entry.warning);
      else children.push(entry);
    }
    children.sort(byKey);
    for (const child of children) {
      if (child.kind === 'file') {
        files.push({ name: relative(dir, child.path).split(sep).join('/'), path: child.path, size: child.size, mtimeMs: child.mtimeMs });
        progress.update(files.length, `${files.length} images`);
      } else if (!seen.has(child.id)) {
        seen.add(child.id);
        if (depth + 1 > limits.maxDepth) warnings.push(`${child.path}: skipped, more than ${limits.maxDepth} folders below ${dir}`);
        else await visit(child.path, depth + 1);
      }
    }
  };

  await visit(dir, 0);
  progress.finish(`${files.length} images`);
  if (files.length === 0) {
    const others = warnings.length > 0 ? ` (${warnings.length} other file${warnings.length > 1 ? 's' : ''} skipped)` : '';
    throw new DataError(`image folder ${dir} contains no images (PNG, JPEG, WebP, TIFF, GIF, AVIF)${others}`, dir);
  }
  return { files, warnings };
}
