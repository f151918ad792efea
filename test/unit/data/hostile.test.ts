/**
 * Hostile files: a FIFO, a device or a socket where a dataset or cache file belongs is refused
 * at once with a message naming it (a FIFO would otherwise block a thread forever), and no
 * error or warning quotes what a file holds, even through a symbolic link to a secret.
 */
import { execFileSync } from 'node:child_process';
import { mkdir, readFile, readdir, rm, symlink, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadImageFile, openDataset } from '../../../src-main/data';
import { cifarBatch, idxBytes, imagenetArrays, npzBytes, patternImage, smoothImage, tempDir, writeIdxFolder, writeImage } from './fixtures';

const unix = process.platform !== 'win32';

function mkfifo(path: string): void {
  execFileSync('mkfifo', [path]);
}

/** Fails instead of hanging: a read blocked on a FIFO never settles. */
async function settlesWithin<T>(promise: Promise<T>, seconds = 20): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const hang = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`still waiting after ${seconds} s: blocked`)), seconds * 1000);
  });
  try {
    return await Promise.race([promise, hang]);
  } finally {
    clearTimeout(timer);
  }
}

async function writeIdx(dir: string): Promise<void> {
  const set = { images: [patternImage(1, 4, 4, 1), patternImage(2, 4, 4, 1)], labels: [3, 4] };
  await writeIdxFolder(dir, set, set, 4, false);
}

async function cacheFolder(cacheDir: string): Promise<string> {
  const [parent] = await readdir(cacheDir);
  const [key] = await readdir(join(cacheDir, parent!));
  return join(cacheDir, parent!, key!);
}

const SECRET = 'SECRET-d41d8cd9-password=hunter2';

describe.runIf(unix)('non-regular files are refused, naming them', () => {
  it('IDX: a FIFO or a link to a device in place of a file', async () => {
    const dir = tempDir('fifo-idx');
    await writeIdx(dir);
    const images = join(dir, 'train-images-idx3-ubyte');
    await rm(images);
    mkfifo(images);
    await expect(settlesWithin(openDataset(`mnist:${dir}`))).rejects.toThrow(`${images} is not a regular file (it is a FIFO)`);
    await rm(images);
    // /dev/zero would never end: read whole, it would fill memory.
    await symlink('/dev/zero', images);
    await expect(settlesWithin(openDataset(`mnist:${dir}`))).rejects.toThrow(`${images} is not a regular file (it is a device)`);
  });

  it('CIFAR-10: a FIFO in place of a batch', async () => {
    const dir = tempDir('fifo-cifar');
    for (let b = 1; b <= 5; b++) await writeFile(join(dir, `data_batch_${b}.bin`), cifarBatch([patternImage(b, 32, 32, 3)], [b]));
    const test = join(dir, 'test_batch.bin');
    mkfifo(test);
    await expect(settlesWithin(openDataset(`cifar10:${dir}`))).rejects.toThrow(`${test} is not a regular file (it is a FIFO)`);
  });

  it('ImageNet32: a FIFO in place of an npz', async () => {
    const dir = tempDir('fifo-in32');
    await writeFile(join(dir, 'train_data_batch_1.npz'), npzBytes(imagenetArrays([patternImage(1, 32, 32, 3)], [1]), false));
    const val = join(dir, 'val_data.npz');
    mkfifo(val);
    await expect(settlesWithin(openDataset(`imagenet32:${dir}`, { cacheDir: tempDir('fifo-cache') }))).rejects.toThrow(`${val} is not a regular file (it is a FIFO)`);
  });

  it('image folders: FIFOs and sockets named like images are skipped with a warning; single images are refused', async () => {
    const dir = tempDir('fifo-folder');
    for (let i = 0; i < 3; i++) await writeImage(join(dir, `img${i}.png`), smoothImage(i, 8, 8), 8, 8, 'png');
    const fifo = join(dir, 'fifo.png');
    mkfifo(fifo);
    const socketPath = join(dir, 'socket.png');
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(socketPath, resolve));
    try {
      const dataset = await settlesWithin(openDataset(`folder:${dir}?testFraction=0.001`, { cacheDir: tempDir('fifo-cache') }));
      expect(dataset.info.trainCount).toBe(3);
      expect(dataset.info.warnings).toContain(`${fifo}: skipped, not a regular file (it is a FIFO)`);
      expect(dataset.info.warnings).toContain(`${socketPath}: skipped, not a regular file (it is a socket)`);
      await dataset.close();
      await expect(settlesWithin(loadImageFile(fifo, { size: 8 }))).rejects.toThrow(`${fifo} is not a regular file (it is a FIFO)`);
      await expect(settlesWithin(loadImageFile('/dev/zero', { size: 8 }))).rejects.toThrow('/dev/zero is not a regular file (it is a device)');
    } finally {
      server.close();
    }
  });

  it('cache files: a FIFO manifest, note or shard is reported and the cache rebuilt around it', async () => {
    const dir = tempDir('fifo-cache-src');
    for (let i = 0; i < 6; i++) await writeImage(join(dir, `img${i}.png`), smoothImage(i, 8, 8), 8, 8, 'png');
    const cacheDir = tempDir('fifo-cache');
    const options = { cacheDir, shardBytes: 2 * 192 };
    const spec = `folder:${dir}?testFraction=0.001`;
    const first = await openDataset(spec, options);
    const expected = await Promise.all([0, 1, 2, 3, 4, 5].map(async (i) => Array.from((await first.get('train', i)).data)));
    await first.close();
    const folder = await cacheFolder(cacheDir);
    for (const name of ['manifest.json', 'train-00001.bin.json', 'train-00002.bin']) {
      await rm(join(folder, name));
      mkfifo(join(folder, name));
      // Notes are read when a build resumes: without a manifest.
      if (name.endsWith('.bin.json')) await rm(join(folder, 'manifest.json'));
      const warnings: string[] = [];
      const reopened = await settlesWithin(openDataset(spec, { ...options, onWarning: (w) => warnings.push(w) }));
      expect(warnings.some((w) => w.includes(`${join(folder, name)} is not a regular file`)), name).toBe(true);
      const got = await Promise.all([0, 1, 2, 3, 4, 5].map(async (i) => Array.from((await reopened.get('train', i)).data)));
      expect(got, name).toEqual(expected);
      await reopened.close();
    }
  });
});

describe.runIf(unix)('errors never quote file contents', () => {
  it('a manifest or shard note linked to a secret is named, not quoted, and the cache rebuilt', async () => {
    const dir = tempDir('secret-src');
    for (let i = 0; i < 4; i++) await writeImage(join(dir, `img${i}.png`), smoothImage(i, 8, 8), 8, 8, 'png');
    const secrets = tempDir('secret');
    const notJson = join(secrets, 'passwd');
    await writeFile(notJson, `root:x:0:0:${SECRET}:/root:/bin/bash\n`);
    const wrongJson = join(secrets, 'config.json');
    await writeFile(wrongJson, JSON.stringify({ token: SECRET, version: SECRET }));
    const cacheDir = tempDir('secret-cache');
    const options = { cacheDir, shardBytes: 2 * 192 };
    const spec = `folder:${dir}?testFraction=0.001`;
    await (await openDataset(spec, options)).close();
    const folder = await cacheFolder(cacheDir);
    const cases: [string, string, RegExp][] = [
      ['manifest.json', notJson, /manifest\.json is not valid JSON \(truncated or corrupt\)/],
      ['manifest.json', wrongJson, /manifest\.json is not what it should be: version has the wrong type/],
      ['train-00001.bin.json', notJson, /train-00001\.bin\.json is not valid JSON/],
      ['train-00000.bin.json', wrongJson, /train-00000\.bin\.json is not what it should be/],
    ];
    for (const [name, target, pattern] of cases) {
      await rm(join(folder, name), { force: true });
      await symlink(target, join(folder, name));
      // Notes are read when a build resumes: without a manifest.
      if (name.endsWith('.bin.json')) await rm(join(folder, 'manifest.json'), { force: true });
      const warnings: string[] = [];
      const dataset = await openDataset(spec, { ...options, onWarning: (w) => warnings.push(w) });
      expect(warnings.some((w) => pattern.test(w)), `${name} → ${target}: ${warnings.join(' | ')}`).toBe(true);
      for (const w of [...warnings, ...dataset.info.warnings]) expect(w).not.toContain('hunter2');
      expect(dataset.info.trainCount).toBe(4);
      await dataset.close();
    }
    // The rebuild replaced the links, never wrote through them.
    expect(await readFile(notJson, 'utf8')).toBe(`root:x:0:0:${SECRET}:/root:/bin/bash\n`);
    expect(JSON.parse(await readFile(wrongJson, 'utf8'))).toEqual({ token: SECRET, version: SECRET });
  });

  it('IDX, CIFAR and npz files linked to a secret are refused without quoting it', async () => {
    const secrets = tempDir('secret');
    const secret = join(secrets, 'environ');
    // 3073 bytes: the size of one CIFAR record, so only the content can give it away.
    await writeFile(secret, `${SECRET}=`.repeat(200).slice(0, 3073));
    const messages: string[] = [];
    const idx = tempDir('secret-idx');
    await writeIdx(idx);
    await rm(join(idx, 't10k-images-idx3-ubyte'));
    await symlink(secret, join(idx, 't10k-images-idx3-ubyte'));
    messages.push(await openDataset(`mnist:${idx}`).then(() => 'opened', (e: Error) => e.message));
    expect(messages[0]).toMatch(/t10k-images-idx3-ubyte does not start with an IDX magic number/);

    const cifar = tempDir('secret-cifar');
    await symlink(secret, join(cifar, 'test_batch.bin'));
    messages.push(await openDataset(`cifar10:${cifar}`).then(() => 'opened', (e: Error) => e.message));
    expect(messages[1]).toMatch(/test_batch\.bin: record 0 has label \d+, CIFAR-10 labels are 0\.\.9/);

    const in32 = tempDir('secret-in32');
    await mkdir(in32, { recursive: true });
    await symlink(secret, join(in32, 'val_data.npz'));
    messages.push(await openDataset(`imagenet32:${in32}`, { cacheDir: tempDir('secret-cache') }).then(() => 'opened', (e: Error) => e.message));
    expect(messages[2]).toMatch(/val_data\.npz is not an \.npz file/);
    // A real npy whose header holds the secret where the dtype belongs.
    const npy = tempDir('secret-npy');
    const header = new TextEncoder().encode(`{'descr': '${SECRET}', 'fortran_order': False, 'shape': (1, 3072), }`.padEnd(118) + '\n');
    const bytes = new Uint8Array(10 + header.length + 3072);
    bytes.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0]);
    new DataView(bytes.buffer).setUint16(8, header.length, true);
    bytes.set(header, 10);
    await writeFile(join(npy, 'val_data.npz'), npzBytes({ data: bytes, labels: idxBytes([1], new Uint8Array([1])) }, false));
    messages.push(await openDataset(`imagenet32:${npy}`, { cacheDir: tempDir('secret-cache') }).then(() => 'opened', (e: Error) => e.message));
    expect(messages[3]).toMatch(/has a dtype, which is not a plain numeric type/);
    for (const m of messages) expect(m).not.toContain('hunter2');
  });
});
