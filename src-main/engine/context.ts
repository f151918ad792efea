/** What every engine command handler receives besides its arguments, and the handler map's type. */
import {
  type CommandArgs,
  type CommandResult,
  type EngineCommandName,
  type EventName,
  type EventPayload,
  ProtocolError,
  type RequestStats,
} from '../../src-shared/protocol';
import type { ProgressUpdate } from '../data/types';

export interface EngineContext {
  /** Sends an event to every client of the host. */
  emit<E extends EventName>(event: E, payload: EventPayload<E>): void;
  /** Convenience for `log` events. */
  log(level: 'debug' | 'info' | 'warn' | 'error', source: string, message: string): void;
  /**
   * Aborted when a newer request with the same `supersede` key arrives. Long handlers check it
   * between chunks of work (`throwIfCancelled`), so superseded work stops early.
   */
  readonly signal: AbortSignal;
  /** Throws the CANCELLED protocol error when `signal` is aborted. */
  throwIfCancelled(): void;
  /** The dispatcher's per-command counters (the `requestStats` debug command). */
  requestStats(): RequestStats;
}

export type Handler<C extends EngineCommandName> = (args: CommandArgs<C>, ctx: EngineContext) => Promise<CommandResult<C>>;

/** The handlers of some commands: each domain file (handlers/*.ts) implements its own. */
export type Handlers<K extends EngineCommandName> = { [C in K]: Handler<C> };

/** Every engine command's handler: total, so a command without a handler does not compile. */
export type HandlerMap = Handlers<EngineCommandName>;

/** The CANCELLED error a superseded request answers with. */
export function cancelledError(signal: AbortSignal): ProtocolError {
  const reason: unknown = signal.reason;
  return new ProtocolError('CANCELLED', typeof reason === 'string' ? reason : 'the request was cancelled');
}

/** A progress update as the `progress` event carries it (fields clipped to the schema's limits). */
export function progressEvent(update: ProgressUpdate, taskId: string, taskPrefix = ''): EventPayload<'progress'> {
  return {
    task: `${taskPrefix}${update.task}`.slice(0, 64),
    taskId: taskId.slice(0, 128),
    done: update.done,
    total: update.total,
    ratePerSecond: update.ratePerSecond,
    etaSeconds: update.etaSeconds,
    ...(update.message !== undefined ? { message: update.message.slice(0, 1024) } : {}),
  };
}

/** Lets the event loop run (incoming requests, timers) between chunks of synchronous tensor work. */
export function yieldToEvents(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/** A context for a handler run outside a dispatcher (tests): never cancelled, events dropped. */
export function standaloneContext(): EngineContext {
  const signal = new AbortController().signal;
  return {
    emit: () => undefined,
    log: () => undefined,
    signal,
    throwIfCancelled: () => undefined,
    requestStats: () => ({ commands: {} }),
  };
}
