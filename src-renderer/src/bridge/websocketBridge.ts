/**
 * The Bridge over a WebSocket (serve mode). Reconnects after a drop; requests in flight when
 * the socket closes fail with a readable error rather than hanging.
 */
import {
  type Bridge,
  BridgeError,
  type CommandArgsIn,
  type CommandName,
  type CommandResult,
  PROTOCOL_VERSION,
} from '../../../src-shared/protocol';
import { EventHub, unwrapResponse } from './frames';

interface Pending {
  resolve(value: unknown): void;
  reject(error: Error): void;
}

export interface WebSocketBridge extends Bridge {
  /** Resolves once the socket is open (the first time). */
  ready: Promise<void>;
  /** Connection changes (true: open, false: lost); the UI says so and resyncs on return. */
  onConnection(listener: (connected: boolean) => void): () => void;
  close(): void;
}

export function createWebSocketBridge(url: string, WebSocketImpl: typeof WebSocket = WebSocket): WebSocketBridge {
  const hub = new EventHub();
  const pending = new Map<number, Pending>();
  let nextId = 1;
  let socket: WebSocket;
  let closed = false;
  let opened: () => void = () => {};
  const ready = new Promise<void>((resolve) => {
    opened = resolve;
  });
  let waiters: (() => void)[] = [];
  const connectionListeners = new Set<(connected: boolean) => void>();
  let connected = false;
  const setConnected = (value: boolean): void => {
    if (connected === value) return;
    connected = value;
    for (const listener of connectionListeners) listener(value);
  };

  const connect = (): void => {
    socket = new WebSocketImpl(url);
    socket.addEventListener('open', () => {
      setConnected(true);
      opened();
      for (const w of waiters) w();
      waiters = [];
    });
    socket.addEventListener('message', (event: MessageEvent) => {
      let frame: unknown;
      try {
        frame = JSON.parse(String(event.data));
      } catch {
        return;
      }
      const type = (frame as { type?: unknown }).type;
      if (type === 'event') {
        hub.dispatch(frame);
        return;
      }
      const id = (frame as { id?: unknown }).id;
      const entry = typeof id === 'number' ? pending.get(id) : undefined;
      if (!entry || typeof id !== 'number') return;
      pending.delete(id);
      try {
        entry.resolve(unwrapResponse(frame));
      } catch (error) {
        entry.reject(error as Error);
      }
    });
    socket.addEventListener('close', () => {
      setConnected(false);
      for (const [id, entry] of pending) {
        entry.reject(new BridgeError('DISCONNECTED', 'the connection to FlowStudio was lost'));
        pending.delete(id);
      }
      if (!closed) setTimeout(connect, 1000);
    });
  };
  connect();

  const whenOpen = (): Promise<void> =>
    socket.readyState === WebSocketImpl.OPEN ? Promise.resolve() : new Promise((resolve) => waiters.push(resolve));

  return {
    kind: 'websocket',
    ready,
    async invoke<C extends CommandName>(command: C, args: CommandArgsIn<C>): Promise<CommandResult<C>> {
      await whenOpen();
      const id = nextId++;
      return new Promise<CommandResult<C>>((resolve, reject) => {
        pending.set(id, { resolve: resolve as (value: unknown) => void, reject });
        socket.send(JSON.stringify({ v: PROTOCOL_VERSION, type: 'request', id, command, args }));
      });
    },
    on: (event, listener) => hub.on(event, listener),
    onConnection(listener) {
      connectionListeners.add(listener);
      return () => connectionListeners.delete(listener);
    },
    close() {
      closed = true;
      socket.close();
    },
  };
}
