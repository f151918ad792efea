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

/** How long shutdown() waits for the engine to checkpoint and exit before it kills it. */
export const SHUTDOWN_GRACE_MS = 30_000;
/** After SIGKILL, how long to wait for the exit to be reported (a process stuck in the kernel). */
const KILL_WAIT_MS = 5_000;

export interface ShutdownOutcome {
  /** How the process ended (`killed by SIGTERM`, `exited with code 0`, ...). */
  reason: string;
  /** True when it did not exit within the grace period and was killed. */
  forced: boolean;
}

type EventListener = (frame: EventFrame) => void;

export class EngineClient {
  private channel: EngineChannel | null = null;
  /** The process being started (not ready yet), so a shutdown can stop it too. */
  private spawning: EngineChannel | null = null;
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
      this.spawning = channel;
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
            this.spawning = null;
            this.channel = channel;
            resolve(channel);
          }
          return;
        }
        this.onMessage(message);
      });
      channel.onExit((reason) => {
        clearTimeout(timer);
        if (this.spawning === channel) this.spawning = null;
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
    // Shut down or restarted while this request waited for the engine: it would never be answered.
    if (this.closed || this.channel !== channel) throw new ProtocolError('ENGINE_UNAVAILABLE', 'the engine host is shutting down');
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

  /** Kills the engine at once and for good (tests; use shutdown() when work may be running). */
  close(): void {
    this.closed = true;
    const channel = this.channel ?? this.spawning;
    this.channel = null;
    this.failPending(new ProtocolError('ENGINE_UNAVAILABLE', 'the engine host is shutting down'));
    channel?.kill();
  }

  /**
   * Stops the engine for good, in order: SIGTERM (the engine checkpoints running trainers and
   * exits), a wait of at most `graceMs`, then SIGKILL. Resolves with how it ended; null when no
   * engine was running.
   */
  async shutdown(graceMs = SHUTDOWN_GRACE_MS): Promise<ShutdownOutcome | null> {
    this.closed = true;
    const channel = this.channel ?? this.spawning;
    this.channel = null;
    this.failPending(new ProtocolError('ENGINE_UNAVAILABLE', 'the engine host is shutting down'));
    if (!channel) return null;
    const exited = new Promise<string>((resolve) => channel.onExit(resolve));
    channel.terminate();
    const reason = await within(exited, graceMs);
    if (reason !== null) return { reason, forced: false };
    channel.kill();
    return { reason: (await within(exited, KILL_WAIT_MS)) ?? 'did not exit after SIGKILL', forced: true };
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

/** The promise's value, or null when it takes longer than `ms`. */
async function within<T>(promise: Promise<T>, ms: number): Promise<T | null> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<null>((resolve) => {
    timer = setTimeout(() => resolve(null), ms);
  });
  try {
    return await Promise.race([promise, late]);
  } finally {
    clearTimeout(timer);
  }
}

function isReady(message: unknown): boolean {
  return typeof message === 'object' && message !== null && (message as { type?: unknown }).type === 'ready';
}
