/**
 * An in-memory Bridge: commands go to handler functions, with the protocol's own zod schemas
 * checking arguments and results on the way (as the real router does), and events are pushed
 * by the test. Errors surface as BridgeError, like the Electron and WebSocket bridges.
 */
import {
  type Bridge,
  BridgeError,
  type CommandArgs,
  type CommandArgsIn,
  type CommandName,
  type CommandResult,
  type EventName,
  type EventPayload,
  ProtocolError,
  parseArgs,
  parseEvent,
  parseResult,
} from '../../../src-shared/protocol';

export type Handler<C extends CommandName> = (args: CommandArgs<C>) => Promise<CommandResult<C>> | CommandResult<C>;
export type HandlerTable = { [C in CommandName]?: Handler<C> };

type AnyListener = (payload: unknown) => void;

export class MemoryBridge implements Bridge {
  readonly kind = 'memory' as const;
  /** Every command invoked, in order, with the arguments as sent. */
  readonly calls: { command: CommandName; args: unknown }[] = [];
  private readonly listeners = new Map<EventName, Set<AnyListener>>();

  constructor(public handlers: HandlerTable = {}) {}

  async invoke<C extends CommandName>(command: C, argsIn: CommandArgsIn<C>): Promise<CommandResult<C>> {
    this.calls.push({ command, args: argsIn });
    try {
      const args = parseArgs(command, argsIn);
      const handler = this.handlers[command] as Handler<C> | undefined;
      if (!handler) throw new ProtocolError('FAILED', `command "${command}" is not implemented by this engine`);
      return parseResult(command, await handler(args));
    } catch (error) {
      if (error instanceof BridgeError) throw error;
      if (error instanceof ProtocolError) throw new BridgeError(error.code, error.message, error.details);
      throw new BridgeError('FAILED', error instanceof Error ? error.message : String(error));
    }
  }

  on<E extends EventName>(event: E, listener: (payload: EventPayload<E>) => void): () => void {
    let set = this.listeners.get(event);
    if (!set) {
      set = new Set();
      this.listeners.set(event, set);
    }
    set.add(listener as AnyListener);
    return () => set.delete(listener as AnyListener);
  }

  /** Pushes an event to subscribers, validated like the host validates engine events. */
  emit<E extends EventName>(event: E, payload: EventPayload<E>): void {
    const parsed = parseEvent(event, payload);
    for (const listener of this.listeners.get(event) ?? []) listener(parsed);
  }

  listenerCount(event: EventName): number {
    return this.listeners.get(event)?.size ?? 0;
  }

  count(command: CommandName): number {
    return this.calls.filter((c) => c.command === command).length;
  }

  lastArgs<C extends CommandName>(command: C): CommandArgsIn<C> | undefined {
    const call = [...this.calls].reverse().find((c) => c.command === command);
    return call?.args as CommandArgsIn<C> | undefined;
  }
}
