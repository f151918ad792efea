/**
 * The backend starts once, whatever arrives first: a fresh engine process receiving four
 * concurrent first requests (the UI reconnecting after an engine restart) answers all four,
 * on one backend, and that backend is the first choice that can run here (wasm on a machine
 * without tfjs-node or a hardware GPU), never the cpu fallback a racing second start fell to.
 */
import { afterAll, describe, expect, it } from 'vitest';
import type { BackendInfo } from '../../src-shared/protocol';
import { type NodeHost, createNodeHost } from '../../src-main/host/nodeHost';

const hosts: NodeHost[] = [];
afterAll(() => hosts.forEach((h) => h.close()));

/** The environment of a user who set nothing: auto backend, default threads. */
function autoEnv(): NodeJS.ProcessEnv {
  const env = { ...process.env };
  delete env['FLOWSTUDIO_BACKEND'];
  delete env['FLOWSTUDIO_THREADS'];
  return env;
}

describe('backend start under concurrent first requests', () => {
  it('answers four concurrent getBackendInfo on a fresh engine, all on the first-choice backend', async () => {
    const host = createNodeHost('serve', { env: autoEnv() });
    hosts.push(host);
    const replies = await Promise.allSettled([1, 2, 3, 4].map(() => host.engine.request('getBackendInfo', {})));
    const failures = replies.flatMap((r) => (r.status === 'rejected' ? [String(r.reason)] : []));
    expect(failures).toEqual([]);
    const infos = replies.map((r) => (r as PromiseFulfilledResult<BackendInfo>).value);
    // One start: every reply describes the same choice, made once.
    expect(new Set(infos.map((i) => JSON.stringify({ active: i.active, reason: i.reason, skipped: i.skipped }))).size).toBe(1);
    const info = infos[0]!;
    // wasm never failed to start (the race made it fail and fall to cpu).
    expect(info.skipped.map((s) => s.name)).not.toContain('@tensorflow/tfjs-backend-wasm');
    expect(info.active).not.toBe('cpu');
    // Auto mode takes webgpu only on a hardware adapter; a software one leaves wasm first.
    if (info.active === 'webgpu') expect(info.adapter?.software).toBe(false);
    // The same engine goes on answering with that backend.
    const again = (await host.engine.request('getBackendInfo', {})) as BackendInfo;
    expect(again.active).toBe(info.active);
  });
});
