/**
 * The data commands through a real engine process: bad specs come back as error responses
 * and the engine keeps serving; a folder is scanned and cached with progress events, and its
 * images come back as PNGs with the source pixels.
 */
import { execFileSync } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EventFrame, ResponseFrame } from '../../src-shared/protocol';
import { type NodeHost, createNodeHost } from '../../src-main/host/nodeHost';
import { smoothImage, tempDir, writeImage } from '../unit/data/fixtures';

let host: NodeHost;
const events: EventFrame[] = [];
let nextId = 1;

async function request(command: string, args: unknown): Promise<ResponseFrame> {
  return host.router.handle({ v: 1, type: 'request', id: nextId++, command, args });
}

function resultOf<T>(response: ResponseFrame): T {
  if (!response.ok) throw new Error(`request failed: ${response.error.message}`);
  return response.result as T;
}

async function decodePng(base64: string): Promise<Uint8Array> {
  const { data } = await sharp(Buffer.from(base64, 'base64')).raw().toBuffer({ resolveWithObject: true });
  return new Uint8Array(data);
}

beforeAll(() => {
  // The fixtures live in the system's temporary folder: a dataset root for this host; so is
  // /proc/self, so that the loader's bounded scan (not the host's path policy) is what refuses it.
  host = createNodeHost('serve', { env: { ...process.env, FLOWSTUDIO_BACKEND: 'cpu', FLOWSTUDIO_CACHE_DIR: tempDir('engine-cache') }, dataRoots: [tmpdir(), '/proc/self'] });
  host.router.onEvent((frame) => events.push(frame));
});

afterAll(() => {
  host.close();
});

describe('data commands in the engine process', () => {
  it('answers bad specs with errors naming the problem and keeps running', async () => {
    const pid = resultOf<{ pid: number }>(await request('ping', { nonce: 'before' })).pid;
    const missing = join(tempDir('engine-data'), 'no-such-folder');
    const empty = tempDir('engine-data');
    const cases: [string, RegExp][] = [
      ['nonsense', /must look like <format>:<path>/],
      ['png:/x', /unknown data format "png"/],
      [`folder:${missing}`, new RegExp(`image folder ${missing} does not exist`)],
      [`folder:${empty}`, new RegExp(`image folder ${empty} contains no images`)],
      [`cifar10:${empty}`, new RegExp(`${empty} holds no CIFAR-10 binary batches`)],
      [`fashion-mnist:${empty}`, /has no train images file/],
      [`folder:${empty}?size=huge`, /bad option .*size/],
    ];
    for (const [spec, pattern] of cases) {
      const response = await request('datasetInfo', { data: spec });
      expect(response.ok, spec).toBe(false);
      if (!response.ok) expect(response.error.message, spec).toMatch(pattern);
    }
    const after = resultOf<{ pid: number }>(await request('ping', { nonce: 'after' }));
    expect(after.pid).toBe(pid);
  });

  it.runIf(process.platform === 'linux')('refuses a FIFO dataset file and a scan of /proc/self, then answers a ping', async () => {
    const dir = tempDir('engine-fifo');
    for (const name of ['train-labels-idx1-ubyte', 't10k-images-idx3-ubyte', 't10k-labels-idx1-ubyte']) await writeFile(join(dir, name), new Uint8Array(0));
    const fifo = join(dir, 'train-images-idx3-ubyte');
    execFileSync('mkfifo', [fifo]);
    const refused = await request('datasetInfo', { data: `mnist:${dir}` });
    expect(refused.ok).toBe(false);
    if (!refused.ok) expect(refused.error.message).toContain(`${fifo} is not a regular file (it is a FIFO)`);
    const proc = await request('datasetInfo', { data: 'folder:/proc/self' });
    expect(proc.ok).toBe(false);
    if (!proc.ok) expect(proc.error.message).toMatch(/image folder \/proc\/self contains no images/);
    expect(resultOf<{ pid: number }>(await request('ping', { nonce: 'still here' })).pid).toBeGreaterThan(0);
  });

  it('scans and caches a folder with progress, returns examples and images with their pixels', async () => {
    const dir = tempDir('engine-folder');
    const images = Array.from({ length: 12 }, (_, i) => smoothImage(i, 16, 16));
    for (let i = 0; i < images.length; i++) await writeImage(join(dir, `img${String(i).padStart(2, '0')}.png`), images[i]!, 16, 16, 'png');
    await writeFile(join(dir, 'broken.jpg'), 'not a jpeg');
    const spec = `folder:${dir}?size=16&testFraction=0.001`;
    const firstEvent = events.length;
    const info = resultOf<{ trainCount: number; testCount: number; shape: number[]; warnings: string[]; examples: { index: number; png: { base64: string; width: number } }[] }>(
      await request('datasetInfo', { data: spec, examples: 4 }),
    );
    expect(info).toMatchObject({ trainCount: 12, testCount: 0, shape: [16, 16, 3] });
    expect(info.warnings.some((w) => w.startsWith(join(dir, 'broken.jpg')))).toBe(true);
    expect(info.examples.map((e) => e.index)).toEqual([0, 3, 6, 9]);
    expect(await decodePng(info.examples[1]!.png.base64)).toEqual(images[3]);

    const progress = events.slice(firstEvent).filter((e) => e.event === 'progress').map((e) => e.payload as { task: string; taskId: string; done: number; total: number | null });
    const cache = progress.filter((p) => p.task === 'data:cache');
    expect(cache.length).toBeGreaterThan(0);
    expect(cache[cache.length - 1]).toMatchObject({ done: 13, total: 13 });
    expect(new Set(progress.map((p) => p.taskId)).size).toBe(1);
    const logs = events.slice(firstEvent).filter((e) => e.event === 'log').map((e) => e.payload as { level: string; message: string });
    expect(logs.some((l) => l.level === 'warn' && l.message.includes('broken.jpg'))).toBe(true);

    // Kept open by spec: images come straight from the cache.
    const image = resultOf<{ png: { base64: string; width: number; height: number } }>(await request('datasetImage', { data: spec, split: 'train', index: 11 }));
    expect(image.png).toMatchObject({ width: 16, height: 16 });
    expect(await decodePng(image.png.base64)).toEqual(images[11]);
    const outOfRange = await request('datasetImage', { data: spec, split: 'train', index: 12 });
    expect(outOfRange.ok).toBe(false);
    if (!outOfRange.ok) expect(outOfRange.error.message).toContain('index 12 is out of range');
  });

  it('returns points for a 2-D toy', async () => {
    const info = resultOf<{ shape: number[]; bits: number; points: number[]; examples: unknown[] }>(await request('datasetInfo', { data: 'toy:rings?n=1000' }));
    expect(info).toMatchObject({ shape: [2], bits: 0, examples: [] });
    expect(info.points).toHaveLength(2000);
    const image = await request('datasetImage', { data: 'toy:rings?n=1000', split: 'train', index: 0 });
    expect(image.ok).toBe(false);
  });
});
