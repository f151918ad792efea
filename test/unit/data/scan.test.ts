/**
 * Folder scans are bounded: they never follow a link out of the folder, stop at a depth and
 * an entry count, count regular files only, give the event loop its turn between file-system
 * calls, and stop when their signal aborts.
 */
import { mkdir, symlink } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openDataset } from '../../../src-main/data';
import type { ProgressUpdate } from '../../../src-main/data';
import { scanFolder } from '../../../src-main/data/folderScan';
import { tempDir, writeImage } from './fixtures';

const linux = process.platform === 'linux';

async function writeTree(root: string, folders: number, filesPerFolder: number): Promise<void> {
  for (let d = 0; d < folders; d++) {
    for (let f = 0; f < filesPerFolder; f++) await writeImage(join(root, `d${String(d).padStart(2, '0')}`, `f${f}.png`), new Uint8Array(12).fill(d), 2, 2, 'png');
  }
}

describe('bounded folder scans', () => {
  it.runIf(linux)('folder:/proc/self ends at once: links out (root, cwd, fd/…) are not followed', async () => {
    const warnings: string[] = [];
    const error = await openDataset('folder:/proc/self', { cacheDir: tempDir('scan-cache'), onWarning: (w) => warnings.push(w) }).catch((e: Error) => e);
    expect(error).toBeInstanceOf(Error);
    expect((error as Error).message).toMatch(/^image folder \/proc\/self contains no images/);
    const scan = await scanFolder('/proc/self').catch((e: Error) => e);
    expect((scan as Error).message).toMatch(/contains no images \(PNG.*\) \(\d+ other files skipped\)/);
  });

  it('follows links inside the folder once, skips links out of it, stops at a depth', async () => {
    const outside = tempDir('scan-outside');
    await writeImage(join(outside, 'elsewhere.png'), new Uint8Array(12), 2, 2, 'png');
    const root = tempDir('scan');
    await writeTree(root, 2, 2);
    // Loops: a link to the root and one between two folders.
    await symlink(root, join(root, 'd00', 'up'));
    await symlink(join(root, 'd00'), join(root, 'd01', 'sideways'));
    // Out of the folder: a folder link and a file link.
    await symlink(outside, join(root, 'out'));
    await symlink(join(outside, 'elsewhere.png'), join(root, 'linked.png'));
    // A chain 6 folders deep with an image at the bottom.
    let deep = root;
    for (let d = 0; d < 6; d++) deep = join(deep, `level${d}`);
    await mkdir(deep, { recursive: true });
    await writeImage(join(deep, 'bottom.png'), new Uint8Array(12), 2, 2, 'png');

    const all = await scanFolder(root);
    expect(all.files.map((f) => f.name)).toEqual(['d00/f0.png', 'd00/f1.png', 'd01/f0.png', 'd01/f1.png', 'level0/level1/level2/level3/level4/level5/bottom.png']);
    expect(all.warnings).toContain(`${join(root, 'out')}: skipped, a symbolic link that leads out of ${root}`);
    expect(all.warnings).toContain(`${join(root, 'linked.png')}: skipped, a symbolic link that leads out of ${root}`);

    const shallow = await scanFolder(root, { limits: { maxDepth: 3 } });
    expect(shallow.files).toHaveLength(4);
    expect(shallow.warnings).toContain(`${join(root, 'level0', 'level1', 'level2', 'level3')}: skipped, more than 3 folders below ${root}`);
  });

  it('refuses a folder with more entries than the limit, naming it', async () => {
    const root = tempDir('scan');
    await writeTree(root, 3, 10);
    await expect(openDataset(`folder:${root}`, { cacheDir: tempDir('scan-cache'), scanLimits: { maxEntries: 20 } })).rejects.toThrow(
      new RegExp(`^image folder ${root} holds more than 20 entries \\(files and folders\\); the scan stopped in ${root}/d01`),
    );
  });

  it('orders files by relative path in string order, whatever the folder structure', async () => {
    const root = tempDir('scan');
    for (const name of ['a-b.png', 'a/z.png', 'a0.png', 'B.png', 'a/b/c.png', 'ab/x.png']) await writeImage(join(root, name), new Uint8Array(12), 2, 2, 'png');
    const names = (await scanFolder(root)).files.map((f) => f.name);
    expect(names).toEqual([...names].sort());
    expect(names).toEqual(['B.png', 'a-b.png', 'a/b/c.png', 'a/z.png', 'a0.png', 'ab/x.png']);
  });

  it('lets the event loop run between file-system calls, and stops when aborted', async () => {
    const root = tempDir('scan');
    await writeTree(root, 20, 5);
    let turns = 0;
    let running = true;
    const spin = (): void => {
      turns += 1;
      if (running) setImmediate(spin);
    };
    setImmediate(spin);
    const scan = await scanFolder(root);
    running = false;
    expect(scan.files).toHaveLength(100);
    // 21 folder listings and 100 stats: the loop had many turns, not one at the end.
    expect(turns).toBeGreaterThan(20);

    const controller = new AbortController();
    const updates: ProgressUpdate[] = [];
    const aborted = await openDataset(`folder:${root}`, {
      cacheDir: tempDir('scan-cache'),
      signal: controller.signal,
      onProgress: (u) => {
        updates.push(u);
        controller.abort();
      },
    }).catch((e: Error) => e);
    expect((aborted as Error).name).toBe('AbortError');
    // Stopped inside the scan: its first update only, no final count, no cache build.
    expect(updates).toHaveLength(1);
    expect(updates[0]).toMatchObject({ task: 'scan', done: 1 });
  });
});
