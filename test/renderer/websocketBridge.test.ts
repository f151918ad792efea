// @vitest-environment happy-dom
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { BridgeError } from '../../src-shared/protocol';
import { createWebSocketBridge } from '../../src-renderer/src/bridge/websocketBridge';
import { followConnection } from '../../src-renderer/src/lib/reconnect';

/** A WebSocket stand-in the test drives: open, deliver frames, drop. */
class FakeSocket {
  static readonly OPEN = 1;
  static readonly instances: FakeSocket[] = [];
  readyState = 0;
  readonly sent: string[] = [];
  private readonly listeners = new Map<string, ((event: { data?: unknown }) => void)[]>();

  constructor(readonly url: string) {
    FakeSocket.instances.push(this);
  }

  addEventListener(type: string, listener: (event: { data?: unknown }) => void): void {
    this.listeners.set(type, [...(this.listeners.get(type) ?? []), listener]);
  }

  send(text: string): void {
    this.sent.push(text);
  }

  close(): void {
    this.drop();
  }

  open(): void {
    this.readyState = FakeSocket.OPEN;
    this.fire('open', {});
  }

  deliver(frame: unknown): void {
    this.fire('message', { data: JSON.stringify(frame) });
  }

  drop(): void {
    this.readyState = 3;
    this.fire('close', {});
  }

  private fire(type: string, event: { data?: unknown }): void {
    for (const listener of this.listeners.get(type) ?? []) listener(event);
  }
}

beforeEach(() => {
  vi.useFakeTimers();
  FakeSocket.instances.length = 0;
});
afterEach(() => vi.useRealTimers());

function connect() {
  const bridge = createWebSocketBridge('ws://127.0.0.1:1/ws?token=t', FakeSocket as unknown as typeof WebSocket);
  const socket = FakeSocket.instances[0]!;
  return { bridge, socket };
}

describe('WebSocket bridge', () => {
  it('sends request frames and resolves with the result, or rejects with the peer error', async () => {
    const { bridge, socket } = connect();
    socket.open();
    const ping = bridge.invoke('ping', { nonce: 'n' });
    await vi.advanceTimersByTimeAsync(0);
    const request = JSON.parse(socket.sent[0]!) as { id: number; command: string };
    expect(request).toMatchObject({ v: 1, type: 'request', command: 'ping', args: { nonce: 'n' } });
    socket.deliver({ v: 1, type: 'response', id: request.id, ok: true, result: { nonce: 'n', pid: 1, uptimeMs: 2 } });
    await expect(ping).resolves.toEqual({ nonce: 'n', pid: 1, uptimeMs: 2 });

    const failing = bridge.invoke('sample', { run: { runId: 'r' }, n: 1, temperature: 1, seed: 0 });
    await vi.advanceTimersByTimeAsync(0);
    const id = (JSON.parse(socket.sent[1]!) as { id: number }).id;
    socket.deliver({ v: 1, type: 'response', id, ok: false, error: { code: 'FAILED', message: 'no such run' } });
    await expect(failing).rejects.toThrow(new BridgeError('FAILED', 'no such run'));
  });

  it('fails requests in flight when the connection drops, reports it, and reconnects', async () => {
    const { bridge, socket } = connect();
    const changes: boolean[] = [];
    bridge.onConnection((up) => changes.push(up));
    socket.open();
    const pending = bridge.invoke('listRuns', {});
    await vi.advanceTimersByTimeAsync(0);
    socket.drop();
    await expect(pending).rejects.toMatchObject({ code: 'DISCONNECTED' });
    expect(changes).toEqual([true, false]);
    await vi.advanceTimersByTimeAsync(1000);
    expect(FakeSocket.instances).toHaveLength(2);
    FakeSocket.instances[1]!.open();
    expect(changes).toEqual([true, false, true]);
  });
});

describe('followConnection', () => {
  it('shows the link state and resyncs only when it comes back after a drop', async () => {
    const { bridge, socket } = connect();
    const states: boolean[] = [];
    let resyncs = 0;
    followConnection(bridge, { setConnected: (up) => states.push(up), resync: () => resyncs++ });
    socket.open();
    expect(resyncs).toBe(0); // the first connection is not a return
    socket.drop();
    await vi.advanceTimersByTimeAsync(1000);
    FakeSocket.instances[1]!.open();
    expect(states).toEqual([true, false, true]);
    expect(resyncs).toBe(1);
  });
});
