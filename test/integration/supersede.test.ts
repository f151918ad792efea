/**
 * Superseded requests stop in the engine: a slider's burst of `sample` requests with one
 * `supersede` key costs the engine fewer full grids than requests (counted by the engine's own
 * `requestStats`), the newest gets its full answer and the superseded ones CANCELLED; a
 * preview answers the full grid's first images. Through a real engine process, on a
 * fashion-mnist-small model trained for one step on the real Fashion-MNIST; the slider burst
 * also over the serve mode's real WebSocket, as the browser UI sends it.
 */
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CommandResult, Png, ResponseFrame } from '../../src-shared/protocol';
import { type NodeHost, createNodeHost } from '../../src-main/host/nodeHost';
import { type RunningServer, startServer } from '../../src-main/host/serve';
import WebSocket from 'ws';

const FASHION = '/usr/share/datasets/fashion-mnist';
let host: NodeHost;
let server: RunningServer;
let nextId = 1;
let runId = '';

function send(command: string, args: unknown): Promise<ResponseFrame> {
  return host.router.handle({ v: 1, type: 'request', id: nextId++, command, args });
}

async function call<T>(command: string, args: unknown): Promise<T> {
  const response = await send(command, args);
  if (!response.ok) throw new Error(`${command} failed: ${response.error.message}`);
  return response.result as T;
}

async function stats(command: string): Promise<{ started: number; completed: number; cancelled: number; failed: number }> {
  const all = await call<CommandResult<'requestStats'>>('requestStats', {});
  return all.commands[command] ?? { started: 0, completed: 0, cancelled: 0, failed: 0 };
}

/** The 8-bit pixels of tile k (28×28 grey, 2-pixel borders) of a grid PNG with `columns` columns. */
async function tile(png: Png, k: number, columns: number): Promise<Buffer> {
  const left = 2 + (k % columns) * 30;
  const top = 2 + Math.floor(k / columns) * 30;
  return sharp(Buffer.from(png.base64, 'base64')).extract({ left, top, width: 28, height: 28 }).greyscale().raw().toBuffer();
}

beforeAll(async () => {
  host = createNodeHost('serve', { env: { ...process.env, FLOWSTUDIO_BACKEND: 'wasm', FLOWSTUDIO_RUNS: mkdtempSync(join(tmpdir(), 'flowstudio-supersede-')) } });
  const staticDir = mkdtempSync(join(tmpdir(), 'flowstudio-static-'));
  writeFileSync(join(staticDir, 'index.html'), '<!doctype html><title>t</title>');
  server = await startServer({ router: host.router, staticDir, token: 'supersede-token' });
  if (!existsSync(FASHION)) return;
  const started = await call<CommandResult<'startTraining'>>('startTraining', {
    preset: 'fashion-mnist-small',
    overrides: { data: `fashion-mnist:${FASHION}`, train: { steps: 1, batchSize: 4, evalN: 8, evalEvery: 0 } },
  });
  runId = started.run.runId;
  await call('waitForRun', { runId });
}, 300_000);

afterAll(async () => {
  await server.close();
  host.close();
});

/** Requests over one WebSocket, answers matched by id (superseded ones may answer out of order). */
async function socketClient(): Promise<{ send(command: string, args: unknown): Promise<ResponseFrame>; close(): void }> {
  const ws = new WebSocket(`ws://127.0.0.1:${server.port}/ws?token=supersede-token`);
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('error', reject);
  });
  const waiting = new Map<number, (frame: ResponseFrame) => void>();
  ws.on('message', (data) => {
    const frame = JSON.parse(data.toString()) as ResponseFrame | { type: 'event' };
    if (frame.type === 'response' && frame.id !== null) waiting.get(frame.id)?.(frame);
  });
  let id = 1;
  return {
    send(command, args) {
      const frameId = id++;
      const reply = new Promise<ResponseFrame>((resolve) => waiting.set(frameId, resolve));
      ws.send(JSON.stringify({ v: 1, type: 'request', id: frameId, command, args }));
      return reply;
    },
    close: () => ws.close(),
  };
}

describe.skipIf(!existsSync(FASHION))('superseded requests', () => {
  it('a burst of 10 temperature changes computes fewer than 10 full grids; the last one is answered in full', async () => {
    await call('sample', { run: { runId }, n: 4, temperature: 0.5, seed: 1 }); // loads the model, warms the backend
    const before = await stats('sample');
    const temperatures = Array.from({ length: 10 }, (_, i) => 0.3 + 0.05 * i);
    const pending: Promise<ResponseFrame>[] = [];
    for (const temperature of temperatures) {
      pending.push(send('sample', { run: { runId }, n: 64, temperature, seed: 1, supersede: 'sampler' }));
      await new Promise((r) => setTimeout(r, 25)); // a slider's pace
    }
    const responses = await Promise.all(pending);
    const after = await stats('sample');

    const last = responses[responses.length - 1]!;
    expect(last.ok).toBe(true);
    if (!last.ok) return;
    const result = last.result as CommandResult<'sample'>;
    expect(result.n).toBe(64);
    expect(result.temperature).toBeCloseTo(temperatures[temperatures.length - 1]!, 12);
    // Coalescing rule: a request is answered in full unless a newer one with its key arrived before it finished.
    for (const response of responses.slice(0, -1)) {
      if (!response.ok) expect(response.error.code).toBe('CANCELLED');
    }
    const full = responses.filter((r) => r.ok).length;
    const cancelled = responses.filter((r) => !r.ok).length;
    expect(after.completed - before.completed).toBe(full);
    expect(after.cancelled - before.cancelled).toBe(cancelled);
    expect(after.completed - before.completed).toBeLessThan(10);
    console.log(`supersede: 10 requests, ${full} full grids computed, ${cancelled} cancelled`);
  });

  it('over the real WebSocket: 10 temperature changes, the last answered in full, fewer than 10 grids computed', async () => {
    const client = await socketClient();
    try {
      const statsOf = async (): Promise<{ completed: number; cancelled: number }> => {
        const r = await client.send('requestStats', {});
        if (!r.ok) throw new Error(r.error.message);
        return (r.result as CommandResult<'requestStats'>).commands['sample'] ?? { completed: 0, cancelled: 0 };
      };
      const before = await statsOf();
      const temperatures = Array.from({ length: 10 }, (_, i) => 0.4 + 0.05 * i);
      const pending: Promise<ResponseFrame>[] = [];
      for (const temperature of temperatures) {
        pending.push(client.send('sample', { run: { runId }, n: 64, temperature, seed: 2, supersede: 'sampler' }));
        await new Promise((r) => setTimeout(r, 20));
      }
      const responses = await Promise.all(pending);
      const after = await statsOf();
      const last = responses[9]!;
      expect(last.ok).toBe(true);
      if (!last.ok) return;
      const result = last.result as CommandResult<'sample'>;
      expect([result.n, result.temperature]).toEqual([64, temperatures[9]]);
      // Coalescing rule (dispatcher.ts): a request is answered in full unless a newer one with its key arrived before it finished.
      for (const r of responses.slice(0, -1)) if (!r.ok) expect(r.error.code).toBe('CANCELLED');
      const full = responses.filter((r) => r.ok).length;
      expect(after.completed - before.completed).toBe(full);
      expect(after.cancelled - before.cancelled).toBe(10 - full);
      expect(full).toBeLessThan(10);
      console.log(`supersede over WebSocket: 10 requests, ${full} full grids computed, ${10 - full} cancelled`);
    } finally {
      client.close();
    }
  });

  it('requests sent back to back: all but the newest answer CANCELLED', async () => {
    const image = { split: 'test', index: 0 };
    const responses = await Promise.all(
      [0.2, 0.6, 1.0].map((temperature) => send('perturbGrid', { run: { runId }, image, temperature, seed: 3, supersede: 'studio' })),
    );
    expect(responses.map((r) => (r.ok ? 'ok' : r.error.code))).toEqual(['CANCELLED', 'CANCELLED', 'ok']);
    const grid = (responses[2] as Extract<ResponseFrame, { ok: true }>).result as CommandResult<'perturbGrid'>;
    expect(grid.keepFirst.length).toBe(2);
    expect(grid.reconstructionError).toBeLessThan(1e-3);
    // Without a key nothing is cancelled.
    const plain = await Promise.all([0.2, 0.6].map((temperature) => send('perturbGrid', { run: { runId }, image, temperature, seed: 3 })));
    expect(plain.every((r) => r.ok)).toBe(true);
  });

  it("a preview answers the full grid's first images", async () => {
    const args = { run: { runId }, n: 16, temperature: 0.8, seed: 5 };
    const preview = await call<CommandResult<'sample'>>('sample', { ...args, preview: true });
    const full = await call<CommandResult<'sample'>>('sample', args);
    expect(preview.n).toBe(4);
    expect([preview.grid.width, preview.grid.height]).toEqual([2 * 30 + 2, 2 * 30 + 2]);
    expect(full.n).toBe(16);
    for (let k = 0; k < 4; k++) {
      const a = await tile(preview.grid, k, 2);
      const b = await tile(full.grid, k, 4);
      // Same latents; a batch of 4 and one of 8 may round differently by one grey level at most.
      let worst = 0;
      for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i]! - b[i]!));
      expect(worst, `tile ${k}`).toBeLessThanOrEqual(1);
    }
    // A different seed gives different images (the comparison above is not vacuous).
    const other = await call<CommandResult<'sample'>>('sample', { ...args, seed: 6, preview: true });
    expect((await tile(other.grid, 0, 2)).equals(await tile(preview.grid, 0, 2))).toBe(false);
  });
});
