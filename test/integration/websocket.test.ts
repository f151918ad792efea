/**
 * The serve-mode host end to end at the protocol level: a real HTTP + WebSocket server, a
 * real engine child process, real sockets.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import WebSocket from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAX_REQUEST_BYTES } from '../../src-shared/protocol';
import { type NodeHost, createNodeHost } from '../../src-main/host/nodeHost';
import { type RunningServer, startServer } from '../../src-main/host/serve';
import { connect } from '../helpers/wsClient';

let host: NodeHost;
let server: RunningServer;
let wsUrl: string;

beforeAll(async () => {
  const staticDir = mkdtempSync(join(tmpdir(), 'flowstudio-static-'));
  writeFileSync(join(staticDir, 'index.html'), '<!doctype html><title>t</title>');
  host = createNodeHost('serve', { env: { ...process.env, FLOWSTUDIO_BACKEND: 'cpu' } });
  server = await startServer({ router: host.router, staticDir, token: 'test-token' });
  wsUrl = `ws://127.0.0.1:${server.port}/ws?token=test-token`;
});

afterAll(async () => {
  await server.close();
  host.close();
});

describe('serve mode WebSocket', () => {
  it('answers ping and getBackendInfo from the engine process', async () => {
    const client = await connect(wsUrl);
    const pong = await client.request('ping', { nonce: 'abc' });
    expect(pong).toMatchObject({ ok: true, result: { nonce: 'abc' } });
    expect((pong['result'] as { pid: number }).pid).not.toBe(process.pid);
    const info = await client.request('getBackendInfo', {});
    expect(info).toMatchObject({ ok: true, result: { active: 'cpu', package: '@tensorflow/tfjs-backend-cpu' } });
    const skipped = (info['result'] as { skipped: { name: string; reason: string }[] }).skipped;
    expect(skipped.map((s) => s.name)).toContain('@tensorflow/tfjs-node-gpu');
    client.close();
  });

  it('answers health with the engine backend, its event-loop lag and the requests in flight', async () => {
    const client = await connect(wsUrl);
    await client.request('getBackendInfo', {});
    const health = (await client.request('health', {}))['result'] as {
      pid: number;
      backend: { active: string } | null;
      eventLoopLagMs: { mean: number; max: number };
      pendingRequests: number;
    };
    expect(health.backend?.active).toBe('cpu');
    expect(health.pid).not.toBe(process.pid);
    expect(health.eventLoopLagMs.max).toBeGreaterThanOrEqual(health.eventLoopLagMs.mean);
    expect(health.pendingRequests).toBe(0);
    client.close();
  });

  it('replies with an error to each malformed message and keeps serving', async () => {
    const client = await connect(wsUrl);
    const cases: [string | Buffer, string, boolean?][] = [
      ['this is not json', 'BAD_FRAME'],
      [JSON.stringify({ v: 1, type: 'request', id: 1, command: 'ping', args: { nonce: 42 } }), 'INVALID_ARGS'],
      [JSON.stringify({ v: 1, type: 'request', id: 2, command: 'formatDisk', args: {} }), 'UNKNOWN_COMMAND'],
      [JSON.stringify({ v: 1, type: 'request', id: 3, command: 'ping', args: {} }), 'INVALID_ARGS'],
      [JSON.stringify({ v: 1, type: 'request', id: 4, command: 'ping' }), 'BAD_FRAME'],
      [JSON.stringify({ v: 1, type: 'request', command: 'ping', args: { nonce: 'x' } }), 'BAD_FRAME'],
      [JSON.stringify({ v: 2, type: 'request', id: 5, command: 'ping', args: { nonce: 'x' } }), 'VERSION_MISMATCH'],
      [JSON.stringify({ v: 1, type: 'request', id: 6, command: 'ping', args: { nonce: 'y'.repeat(MAX_REQUEST_BYTES) } }), 'TOO_LARGE'],
      [Buffer.from([1, 2, 3]), 'BAD_FRAME', true],
    ];
    for (const [frame, code, binary] of cases) {
      const reply = await client.sendRaw(frame, binary);
      expect(reply['ok'], String(frame).slice(0, 80)).toBe(false);
      expect((reply['error'] as { code: string }).code, String(frame).slice(0, 80)).toBe(code);
      expect((reply['error'] as { message: string }).message.length).toBeGreaterThan(5);
    }
    // The id survives into the error reply when the frame got far enough to have one.
    const withId = await client.sendRaw(JSON.stringify({ v: 1, type: 'request', id: 77, command: 'ping', args: {} }));
    expect(withId['id']).toBe(77);
    const pong = await client.request('ping', { nonce: 'still here' });
    expect(pong).toMatchObject({ ok: true, result: { nonce: 'still here' } });
    client.close();
  });

  it('closes only the offending socket when a frame exceeds the hard limit', async () => {
    const client = await connect(wsUrl);
    const closed = new Promise<number>((resolve) => client.ws.once('close', (code) => resolve(code)));
    client.ws.send('z'.repeat(16 * MAX_REQUEST_BYTES + 1));
    expect(await closed).toBe(1009);
    const other = await connect(wsUrl);
    expect(await other.request('ping', { nonce: 'ok' })).toMatchObject({ ok: true });
    other.close();
  });

  it('refuses sockets without the token or from another origin', async () => {
    await expect(connect(`ws://127.0.0.1:${server.port}/ws?token=wrong`)).rejects.toThrow(/403/);
    await expect(connect(`ws://127.0.0.1:${server.port}/ws`)).rejects.toThrow(/403/);
    await expect(connect(wsUrl, { Origin: 'http://evil.example' })).rejects.toThrow(/403/);
    const ok = await connect(wsUrl, { Origin: `http://127.0.0.1:${server.port}` });
    ok.close();
  });

  it('reports an engine crash as an error event, then a new engine serves', async () => {
    const client = await connect(wsUrl);
    const before = (await client.request('ping', { nonce: 'a' }))['result'] as { pid: number };
    process.kill(before.pid, 'SIGKILL');
    const event = await client.waitForEvent((f) => f['event'] === 'error');
    expect(event['payload']).toMatchObject({ code: 'ENGINE_CRASHED', engineLost: true });
    expect((event['payload'] as { message: string }).message).toContain('SIGKILL');
    const after = (await client.request('ping', { nonce: 'b' }))['result'] as { pid: number };
    expect(after.pid).not.toBe(before.pid);
    const hostInfo = (await client.request('getHostInfo', {}))['result'] as { engineRestarts: number; enginePid: number };
    expect(hostInfo.engineRestarts).toBeGreaterThanOrEqual(1);
    expect(hostInfo.enginePid).toBe(after.pid);
    // An explicit restart works too.
    const restarted = (await client.request('restartEngine', {}))['result'] as { pid: number };
    expect(restarted.pid).not.toBe(after.pid);
    client.close();
  });

  it('serves the static renderer but nothing outside it', async () => {
    const index = await fetch(`http://127.0.0.1:${server.port}/`);
    expect(index.status).toBe(200);
    expect(index.headers.get('content-security-policy')).toContain("default-src 'self'");
    const escape = await fetch(`http://127.0.0.1:${server.port}/..%2f..%2fetc%2fpasswd`);
    expect([403, 404]).toContain(escape.status);
    void WebSocket;
  });
});
