/**
 * The CLI's engine: the protocol's Dispatcher and handler map in this process, so every
 * command goes through the same schemas and handlers as a request from the UI. A CLI command
 * builds its arguments from flags (FlagArgs), invokes the command, listens to its events
 * (progress bars, log lines) and writes files. The handlers are imported on first use, so
 * commands that need no engine (serve, start) never load tfjs here.
 */
import {
  type CommandArgs,
  type CommandArgsIn,
  type CommandResult,
  type EngineCommandName,
  type EventFrame,
  type EventName,
  type EventPayload,
  commands,
} from '../../src-shared/protocol';
import { explainIssues } from '../../src-shared/settings';
import type { Dispatcher } from '../engine/dispatcher';

type Listener = (payload: unknown) => void;

export class CliEngine {
  private dispatcher: Dispatcher | null = null;
  private readonly listeners = new Map<string, Set<Listener>>();

  /**
   * Checks `args` with the command's own schema; the error names each bad field by the flag
   * that set it (`label`), e.g. `--steps must be an integer, got "many"`.
   */
  validate<C extends EngineCommandName>(command: C, args: unknown, label: (path: string) => string = (p) => p): CommandArgs<C> {
    const schema = commands[command].args;
    const parsed = schema.safeParse(args);
    if (!parsed.success) throw new Error([...new Set(explainIssues(schema, parsed.error, args, label))].join('; '));
    return parsed.data as CommandArgs<C>;
  }

  /** Runs a command in this process (validated again by the dispatcher, result checked). */
  async invoke<C extends EngineCommandName>(command: C, args: CommandArgsIn<C>): Promise<CommandResult<C>> {
    return (await this.load()).invoke(command, args);
  }

  /** Subscribes to an event; returns the unsubscribe function. */
  on<E extends EventName>(event: E, listener: (payload: EventPayload<E>) => void): () => void {
    let set = this.listeners.get(event);
    if (!set) {
      set = new Set();
      this.listeners.set(event, set);
    }
    set.add(listener as Listener);
    return () => set.delete(listener as Listener);
  }

  private async load(): Promise<Dispatcher> {
    if (!this.dispatcher) {
      const [{ Dispatcher }, { handlers }] = await Promise.all([import('../engine/dispatcher'), import('../engine/handlers')]);
      this.dispatcher = new Dispatcher(handlers, (frame) => this.deliver(frame));
    }
    return this.dispatcher;
  }

  private deliver(frame: EventFrame): void {
    for (const listener of this.listeners.get(frame.event) ?? []) listener(frame.payload);
  }
}
