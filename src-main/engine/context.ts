/** What every engine command handler receives besides its arguments. */
import type { CommandArgs, CommandResult, EngineCommandName, EventName, EventPayload } from '../../src-shared/protocol';
import type { ProgressUpdate } from '../data/types';

export interface EngineContext {
  /** Sends an event to every client of the host. */
  emit<E extends EventName>(event: E, payload: EventPayload<E>): void;
  /** Convenience for `log` events. */
  log(level: 'debug' | 'info' | 'warn' | 'error', source: string, message: string): void;
}

export type Handler<C extends EngineCommandName> = (args: CommandArgs<C>, ctx: EngineContext) => Promise<CommandResult<C>>;

/** A domain's handlers: each domain file (handlers/*.ts) implements its own commands. */
export type HandlerMap = { [C in EngineCommandName]?: Handler<C> };

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
