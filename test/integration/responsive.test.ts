/**
 * The engine stays responsive while it trains (issue 13): with a fashion-mnist-small run
 * stepping on the real Fashion-MNIST in a real engine process, `health` requests sent through
 * the host at spread-out moments each answer in under a second. The steps run between
 * requests (the loop yields after each step, and the recompute backward pass between blocks).
 */
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { type NodeHost, createNodeHost } from '../../src-main/host/nodeHost';

const FASHION = '/usr/share/datasets/fashion-mnist';
const runsRoot = mkdtempSync(join(tmpdir(), 'flowstudio-responsive-'));
let host: NodeHost | null = null;
let nextId = 1;

afterAll(() => host?.close());

async function call(command: string, args: unknown): Promise<{ ok: boolean; result?: unknown; error?: { message: string } }> {
  return (await host!.router.handle({ v: 1, type: 'request', id: nextId++, command, args })) as never;
}

describe.skipIf(!existsSync(FASHION))('responsiveness while training', () => {
  it('answers health in under a second while fashion-mnist-small steps', async () => {
    host = createNodeHost('serve', { env: { ...process.env, FLOWSTUDIO_BACKEND: 'wasm', FLOWSTUDIO_RUNS: runsRoot }, dataRoots: [FASHION] });
    let step = 0;
    host.router.onEvent((frame) => {
      if (frame.event === 'metrics') for (const r of (frame.payload as { records: { step: number }[] }).records) step = Math.max(step, r.step);
    });
    const started = await call('startTraining', {
      preset: 'fashion-mnist-small',
      runDir: join(runsRoot, 'fm'),
      overrides: { data: `fashion-mnist:${FASHION}`, train: { steps: 100_000, batchSize: 16, evalN: 16, evalEvery: 0, checkpointEvery: 0, checkpointSeconds: 0 } },
    });
    expect(started.ok, JSON.stringify(started.error)).toBe(true);
    const since = Date.now();
    while (step < 2 && Date.now() - since < 240_000) await new Promise((r) => setTimeout(r, 50));
    expect(step, 'the run is stepping').toBeGreaterThanOrEqual(2);
    const latencies: number[] = [];
    for (let i = 0; i < 12; i++) {
      await new Promise((r) => setTimeout(r, 137 + 61 * (i % 5)));
      const t0 = performance.now();
      const health = await call('health', {});
      latencies.push(performance.now() - t0);
      expect(health.ok).toBe(true);
    }
    const stepsDuring = step;
    console.log(`health latencies (ms) while training: ${latencies.map((l) => l.toFixed(0)).join(' ')}; step ${stepsDuring}`);
    expect(Math.max(...latencies)).toBeLessThan(1000);
  }, 300_000);
});
