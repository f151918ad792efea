/**
 * The CLI's engine: the protocol's Dispatcher and handler map in this process, so every
 * command goes through the same schemas and handlers as a request from the UI. A CLI command
 * builds its arguments from flags (FlagArgs), invokes the command, listens to its events
 * (progress bars, log lines) and writes files. The handlers are imported on first use, so
 * commands that need no engine (serve, start) never load tfjs here.
 */
import { EventEmitter } from 'node:events';
import {
  type BackendInfo,
  type CommandArgs,
  type CommandArgsIn,
  type CommandResult,
  type EngineCommandName,
  type EventFrame,
  type EventName,
  type EventPayload,
  backendSummary,
  commands,
} from '../../src-shared/protocol';
import { explainIssues } from '../../src-shared/settings';
import type { Dispatcher } from '../engine/dispatcher';
import type { FlagArgs } from './flagArgs';
import { info } from './output';

export class CliEngine {
  private dispatcher: Dispatcher | null = null;
  private readonly events = new EventEmitter();

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
    this.events.on(event, listener);
    return () => this.events.off(event, listener);
  }

  private async load(): Promise<Dispatcher> {
    if (!this.dispatcher) {
      const [{ Dispatcher }, { handlers }] = await Promise.all([import('../engine/dispatcher'), import('../engine/handlers')]);
      this.dispatcher = new Dispatcher(handlers, (frame) => this.deliver(frame));
    }
    return this.dispatcher;
  }

  private deliver(frame: EventFrame): void {
    this.events.emit(frame.event, frame.payload);
  }
}

/**
 * What every CLI command does first: check its flags with the command's schema (before any
 * work), then start the engine and learn its backend.
 */
export async function prepare<C extends EngineCommandName>(command: C, flags: FlagArgs): Promise<{ engine: CliEngine; args: CommandArgs<C>; backend: BackendInfo }> {
  const engine = new CliEngine();
  const args = engine.validate(command, flags.value, flags.label);
  const backend = await engine.invoke('getBackendInfo', {});
  info(`backend: ${backendSummary(backend)}`);
  return { engine, args, backend };
}
