/**
 * The host's handle on the engine process: starts it, matches responses to requests, relays
 * events, and reports a crash (every pending request fails with ENGINE_CRASHED and an `error`
 * event with engineLost = true goes out). After a crash the next request starts a new engine;
 * `restart()` does so explicitly.
 */
import {
  type EngineCommandName,
  type EventFrame,
  EventFrameSchema,
  PROTOCOL_VERSION,
  ProtocolError,
  type RequestFrame,
  ResponseFrameSchema,
} from '../../src-shared/protocol';
import type { EngineChannel } from './engineChannel';

interface Pending {
  resolve(result: unknown): void;
  reject(error: Error): void;
  timer: NodeJS.Timeout | null;
}

export interface EngineClientOptions {
  /** Start-up limit: the engine must say `ready` within it. */
  startTimeoutMs?: number;
  /** Give up on a request after this long (0: never). Long tasks report progress events. */
  requestTimeoutMs?: number;
  /** Refuse to restart more often than this many times per minute (crash loops). */
  maxRestartsPerMinute?: number;
}

type EventListener = (frame: EventFrame) => void;

export class EngineClient {
  private channel: EngineChannel | null = null;
  private starting: Promise<EngineChannel> | null = null;
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();
  private readonly listeners = new Set<EventListener>();
  private restartTimes: number[] = [];
  private closed = false;
  restarts = 0;

  constructor(
    private readonly spawn: () => EngineChannel,
    private readonly options: EngineClientOptions = {},
  ) {}

  get pid(): number | null {
    return this.channel?.pid ?? null;
  }

  /** Requests sent to the engine and not answered yet. */
  get pendingCount(): number {
    return this.pending.size;
  }

  onEvent(listener: EventListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Starts the engine if it is not running; resolves when it is ready. */
  async ensureStarted(): Promise<EngineChannel> {
    if (this.closed) throw new ProtocolError('ENGINE_UNAVAILABLE', 'the engine host is shut down');
    if (this.channel) return this.channel;
    if (!this.starting) {
      this.starting = this.start().finally(() => {
        this.starting = null;
      });
    }
    return this.starting;
  }

  private start(): Promise<EngineChannel> {
    const now = Date.now();
    this.restartTimes = this.restartTimes.filter((t) => now - t < 60_000);
    const limit = this.options.maxRestartsPerMinute ?? 10;
    if (this.restartTimes.length >= limit) {
      return Promise.reject(
        new ProtocolError('ENGINE_UNAVAILABLE', `the engine crashed ${limit} times in a minute; not restarting it (restartEngine to force)`),
      );
    }
    this.restartTimes.push(now);
    return new Promise<EngineChannel>((resolve, reject) => {
      const channel = this.spawn();
      const timeoutMs = this.options.startTimeoutMs ?? 60_000;
      const timer = setTimeout(() => {
        channel.kill();
        reject(new ProtocolError('ENGINE_UNAVAILABLE', `the engine did not start within ${timeoutMs} ms`));
      }, timeoutMs);
      let ready = false;
      channel.onMessage((message) => {
        if (!ready) {
          if (isReady(message)) {
            ready = true;
            clearTimeout(timer);
            this.channel = channel;
            resolve(channel);
          }
          return;
        }
        this.onMessage(message);
      });
      channel.onExit((reason) => {
        clearTimeout(timer);
        if (!ready) {
          reject(new ProtocolError('ENGINE_UNAVAILABLE', `the engine failed to start: ${reason}`));
          return;
        }
        this.onExit(channel, reason);
      });
    });
  }

  /** Sends a request to the engine; resolves with the (unvalidated) result. */
  async request(command: EngineCommandName, args: unknown, timeoutMs = this.options.requestTimeoutMs ?? 0): Promise<unknown> {
    const channel = await this.ensureStarted();
    const id = this.nextId++;
    const frame: RequestFrame = { v: PROTOCOL_VERSION, type: 'request', id, command, args };
    return new Promise((resolve, reject) => {
      const timer =
        timeoutMs > 0
          ? setTimeout(() => {
              this.pending.delete(id);
              reject(new ProtocolError('TIMEOUT', `"${command}" got no answer from the engine within ${timeoutMs} ms`));
            }, timeoutMs)
          : null;
      this.pending.set(id, { resolve, reject, timer });
      channel.send(frame);
    });
  }

  /** Kills the engine (if running) and starts a new one. Returns the new pid. */
  async restart(): Promise<number> {
    const old = this.channel;
    if (old) {
      this.channel = null;
      this.failPending(new ProtocolError('ENGINE_CRASHED', 'the engine was restarted'));
      old.kill();
    }
    this.restartTimes = [];
    this.restarts += 1;
    const channel = await this.ensureStarted();
    return channel.pid ?? -1;
  }

  /** Stops the engine for good (host shutdown). */
  close(): void {
    this.closed = true;
    const channel = this.channel;
    this.channel = null;
    this.failPending(new ProtocolError('ENGINE_UNAVAILABLE', 'the engine host is shutting down'));
    channel?.kill();
  }

  private onMessage(message: unknown): void {
    const response = ResponseFrameSchema.safeParse(message);
    if (response.success) {
      const { id } = response.data;
      const pending = id === null ? undefined : this.pending.get(id);
      if (!pending || id === null) return;
      this.pending.delete(id);
      if (pending.timer) clearTimeout(pending.timer);
      if (response.data.ok) pending.resolve(response.data.result);
      else pending.reject(ProtocolError.fromInfo(response.data.error));
      return;
    }
    const event = EventFrameSchema.safeParse(message);
    if (event.success) {
      for (const listener of this.listeners) listener(event.data);
    }
  }

  private onExit(channel: EngineChannel, reason: string): void {
    if (this.channel !== channel) return; // a deliberate restart or close
    this.channel = null;
    if (this.closed) return;
    this.restarts += 1;
    const message = `the engine process ${reason}`;
    this.failPending(new ProtocolError('ENGINE_CRASHED', message));
    const frame: EventFrame = {
      v: PROTOCOL_VERSION,
      type: 'event',
      event: 'error',
      payload: { code: 'ENGINE_CRASHED', message: `${message}; the next request starts a new engine`, engineLost: true },
    };
    for (const listener of this.listeners) listener(frame);
  }

  private failPending(error: Error): void {
    for (const [id, pending] of this.pending) {
      if (pending.timer) clearTimeout(pending.timer);
      pending.reject(error);
      this.pending.delete(id);
    }
  }
}

function isReady(message: unknown): boolean {
  return typeof message === 'object' && message !== null && (message as { type?: unknown }).type === 'ready';
}
