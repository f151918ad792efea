/** A raw WebSocket protocol client for tests: send any frame, await replies and events. */
import WebSocket from 'ws';

export interface TestClient {
  ws: WebSocket;
  /** Sends raw text and resolves with the next response frame. */
  sendRaw(text: string | Buffer, binary?: boolean): Promise<Record<string, unknown>>;
  request(command: string, args: unknown): Promise<Record<string, unknown>>;
  /** Resolves with the first event frame matching the predicate. */
  waitForEvent(predicate: (frame: Record<string, unknown>) => boolean, timeoutMs?: number): Promise<Record<string, unknown>>;
  events: Record<string, unknown>[];
  close(): void;
}

export async function connect(url: string, headers: Record<string, string> = {}): Promise<TestClient> {
  const ws = new WebSocket(url, { headers });
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('error', reject);
    ws.once('unexpected-response', (_req, res) => reject(new Error(`HTTP ${res.statusCode}`)));
  });
  const responses: Record<string, unknown>[] = [];
  const events: Record<string, unknown>[] = [];
  const responseWaiters: ((frame: Record<string, unknown>) => void)[] = [];
  let eventWaiters: { predicate: (f: Record<string, unknown>) => boolean; resolve: (f: Record<string, unknown>) => void }[] = [];
  ws.on('message', (data) => {
    const frame = JSON.parse(data.toString()) as Record<string, unknown>;
    if (frame['type'] === 'event') {
      events.push(frame);
      const matched = eventWaiters.filter((w) => w.predicate(frame));
      eventWaiters = eventWaiters.filter((w) => !w.predicate(frame));
      for (const w of matched) w.resolve(frame);
      return;
    }
    const waiter = responseWaiters.shift();
    if (waiter) waiter(frame);
    else responses.push(frame);
  });
  let nextId = 1;
  const nextResponse = (): Promise<Record<string, unknown>> =>
    responses.length > 0 ? Promise.resolve(responses.shift()!) : new Promise((resolve) => responseWaiters.push(resolve));
  return {
    ws,
    events,
    sendRaw(text, binary = false) {
      const reply = nextResponse();
      ws.send(text, { binary });
      return reply;
    },
    request(command, args) {
      const reply = nextResponse();
      ws.send(JSON.stringify({ v: 1, type: 'request', id: nextId++, command, args }));
      return reply;
    },
    waitForEvent(predicate, timeoutMs = 30_000) {
      const seen = events.find(predicate);
      if (seen) return Promise.resolve(seen);
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error('event did not arrive')), timeoutMs);
        eventWaiters.push({
          predicate,
          resolve: (f) => {
            clearTimeout(timer);
            resolve(f);
          },
        });
      });
    },
    close: () => ws.close(),
  };
}
