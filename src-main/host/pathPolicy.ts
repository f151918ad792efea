/**
 * Which folders a client may name. Every path a client sends (a run folder, a data spec's
 * folder, an image file) is checked here by the router before the request reaches the engine:
 *
 * - run folders (`runDir`, `listRuns.root`) lie inside the runs folder (FLOWSTUDIO_RUNS, else
 *   `./runs`); so does a new run's folder, which the engine creates;
 * - data spec folders lie inside a dataset root: FLOWSTUDIO_DATA_ROOTS (separated like PATH),
 *   `--data-root DIR` of serve/start, and the defaults `~/datasets` and `/usr/share/datasets`;
 * - image files lie inside a dataset root or the runs folder;
 * - a file or folder the user picked in the desktop app's dialog is allowed for every use.
 *
 * "Inside" is judged on real paths (symlinks resolved, for a path that does not exist yet on its
 * deepest existing folder), so `../`, absolute paths and links out of a root are all refused.
 * An existing run folder must also hold no links that leave the runs folder (its entries and
 * those of its subfolders: config.json, checkpoints/, samples/ ...). A NUL byte is refused by
 * name (path.resolve would silently drop it).
 */
import type { Dirent } from 'node:fs';
import { readdir, realpath } from 'node:fs/promises';
import { homedir } from 'node:os';
import { basename, delimiter, dirname, join, resolve, sep } from 'node:path';
import { ProtocolError } from '../../src-shared/protocol';

/** run: an existing run folder; newRun: one the engine will create; runsRoot: a folder of runs. */
export type PathKind = 'run' | 'newRun' | 'runsRoot' | 'data' | 'file';

export interface PathUse {
  /** The argument's name as the client wrote it, e.g. `run.runDir`. */
  field: string;
  path: string;
  kind: PathKind;
}

export interface PathPolicyOptions {
  runsRoot: string;
  dataRoots: string[];
  /** Folder relative paths are resolved against (the engine's working directory). */
  cwd?: string;
}

/** Entries of a run folder and its subfolders checked for links; a real run has a few dozen. */
const MAX_RUN_ENTRIES = 100_000;

/** The defaults: where Debian's dataset packages and a user's own downloads usually live. */
export function defaultDataRoots(): string[] {
  return [join(homedir(), 'datasets'), '/usr/share/datasets'];
}

/** The runs folder the engine uses with this environment (engine/train/runFolder.ts: same rule). */
export function runsRootFrom(env: NodeJS.ProcessEnv, cwd = process.cwd()): string {
  return resolve(cwd, env['FLOWSTUDIO_RUNS'] ?? join(cwd, 'runs'));
}

/** The dataset roots of an environment (FLOWSTUDIO_DATA_ROOTS) plus `extra` and the defaults. */
export function dataRootsFrom(env: NodeJS.ProcessEnv, extra: string[] = []): string[] {
  const listed = (env['FLOWSTUDIO_DATA_ROOTS'] ?? '').split(delimiter).filter((p) => p.length > 0);
  return [...listed, ...extra, ...defaultDataRoots()].map(expandHome);
}

export function expandHome(path: string): string {
  if (path === '~') return homedir();
  if (path.startsWith('~/')) return join(homedir(), path.slice(2));
  return path;
}

/** The real path of `path`, or for a path that does not exist, of its deepest existing folder plus the rest. */
async function realpathDeep(path: string): Promise<string> {
  const rest: string[] = [];
  let current = path;
  for (;;) {
    try {
      return join(await realpath(current), ...rest.reverse());
    } catch {
      const parent = dirname(current);
      if (parent === current) return path;
      rest.push(basename(current));
      current = parent;
    }
  }
}

function isInside(root: string, path: string): boolean {
  return path === root || path.startsWith(root.endsWith(sep) ? root : root + sep);
}

function shown(path: string): string {
  return JSON.stringify(path.length > 200 ? `${path.slice(0, 200)}...` : path);
}

export class PathPolicy {
  private readonly runsRoot: string;
  private readonly dataRoots: string[];
  private readonly picked: string[] = [];
  private readonly cwd: string;

  constructor(options: PathPolicyOptions) {
    this.cwd = options.cwd ?? process.cwd();
    this.runsRoot = resolve(this.cwd, options.runsRoot);
    this.dataRoots = [...new Set(options.dataRoots.map((p) => resolve(this.cwd, expandHome(p))))];
  }

  /** A file or folder the user chose in a native dialog: allowed from now on, for every use. */
  allowPicked(path: string): void {
    if (!path.includes('\0')) this.picked.push(resolve(this.cwd, path));
  }

  /** The roots a kind of path must lie in, as configured (not yet resolved to real paths). */
  rootsFor(kind: PathKind): string[] {
    const runs = [this.runsRoot];
    const own = kind === 'data' ? this.dataRoots : kind === 'file' ? [...this.dataRoots, ...runs] : runs;
    return [...own, ...this.picked];
  }

  /** Throws FORBIDDEN_PATH naming the field when a path may not be used this way. */
  async check(use: PathUse): Promise<void> {
    if (use.path.includes('\0')) {
      throw new ProtocolError('FORBIDDEN_PATH', `${use.field} contains a NUL byte; paths cannot hold one`);
    }
    const roots = await this.realRoots(use.kind);
    // Judged on real paths only: `../` and links are resolved, and a root that is itself a
    // link (macOS /tmp) still holds what lies under it.
    const real = await realpathDeep(this.absolute(use));
    if (!roots.some((root) => isInside(root, real))) {
      throw new ProtocolError('FORBIDDEN_PATH', `${use.field} ${shown(use.path)} is outside the folders allowed for ${describe(use.kind)} (${this.rootsFor(use.kind).join(', ')}); ${hint(use.kind)}`);
    }
    if (use.kind === 'run' || use.kind === 'newRun') await this.checkLinks(use, real, roots);
  }

  /** Whether a path passes check() (used to filter what the engine lists). */
  async allows(path: string, kind: PathKind): Promise<boolean> {
    try {
      await this.check({ field: 'path', path, kind });
      return true;
    } catch {
      return false;
    }
  }

  /** Resolved as the engine will resolve it: data specs expand `~`, the rest are plain paths. */
  private absolute(use: PathUse): string {
    return resolve(this.cwd, use.kind === 'data' ? expandHome(use.path) : use.path);
  }

  private async realRoots(kind: PathKind): Promise<string[]> {
    return Promise.all(this.rootsFor(kind).map((root) => realpathDeep(root)));
  }

  /** No entry of the run folder or of its subfolders may be a link leading out of the roots. */
  private async checkLinks(use: PathUse, folder: string, roots: string[]): Promise<void> {
    const queue: [string, number][] = [[folder, 0]];
    let seen = 0;
    while (queue.length > 0) {
      const [dir, depth] = queue.shift()!;
      let entries: Dirent[];
      try {
        entries = await readdir(dir, { withFileTypes: true });
      } catch {
        continue; // missing or unreadable: the engine reports it with the file's name
      }
      seen += entries.length;
      if (seen > MAX_RUN_ENTRIES) {
        throw new ProtocolError('FORBIDDEN_PATH', `${use.field} ${shown(use.path)} holds more than ${MAX_RUN_ENTRIES} entries; that is not a run folder`);
      }
      for (const entry of entries) {
        const path = join(dir, entry.name);
        if (entry.isSymbolicLink()) {
          const target = await realpath(path).catch(() => null);
          if (target === null) continue; // a dangling link reads as a missing file
          if (!roots.some((root) => isInside(root, target))) {
            throw new ProtocolError('FORBIDDEN_PATH', `${use.field} ${shown(use.path)} holds ${shown(path.slice(folder.length + 1))}, a link that leads out of the folders allowed for runs; remove it`);
          }
        } else if (entry.isDirectory() && depth < 2) {
          queue.push([path, depth + 1]);
        }
      }
    }
  }
}

function describe(kind: PathKind): string {
  return kind === 'data' ? 'datasets' : kind === 'file' ? 'images (datasets and runs)' : 'runs';
}

function hint(kind: PathKind): string {
  if (kind === 'data') return 'add the folder with --data-root DIR or FLOWSTUDIO_DATA_ROOTS, or pick it with the folder dialog';
  if (kind === 'file') return 'put the image in a dataset folder, or pick it with the file dialog';
  return 'keep runs in the runs folder (FLOWSTUDIO_RUNS chooses it)';
}
