/**
 * Runs one validated request against the handler map and turns the outcome into a response
 * frame. Transport-free: the engine process feeds it frames, and the CLI calls `invoke` in its
 * own process, so both go through the same validation and the same handlers.
 *
 * Superseding: a request whose arguments carry a `supersede` key aborts the older request in
 * flight with the same key (any command), through the AbortSignal in its handler context; that
 * handler stops at its next check and answers CANCELLED. A slider that sends a burst of
 * requests thus costs the engine about one full computation, not one per position.
 */
import {
  type CommandArgsIn,
  type CommandName,
  type CommandResult,
  type CommandStats,
  type EngineCommandName,
  type EventFrame,
  type EventName,
  type EventPayload,
  PROTOCOL_VERSION,
  ProtocolError,
  type RequestStats,
  type ResponseFrame,
  errorResponse,
  idOf,
  isHostCommand,
  okResponse,
  parseArgs,
  parseRequest,
  parseResult,
  toErrorInfo,
} from '../../src-shared/protocol';
import { type EngineContext, type Handler, type HandlerMap, cancelledError } from './context';
import { withRequestScope } from './runs/leases';

export class Dispatcher {
  /** The controller of the newest in-flight request of each supersede key. */
  private readonly inFlight = new Map<string, AbortController>();
  private readonly stats = new Map<string, CommandStats>();

  constructor(
    private readonly handlers: HandlerMap,
    private readonly send: (frame: EventFrame) => void,
  ) {}

  /** Sends an event to every client (also used outside requests, e.g. for uncaught errors). */
  emit<E extends EventName>(event: E, payload: EventPayload<E>): void {
    this.send({ v: PROTOCOL_VERSION, type: 'event', event, payload });
  }

  /** Handles a raw request frame; never throws. */
  async handle(raw: unknown): Promise<ResponseFrame> {
    let id: number | null = idOf(raw);
    try {
      const request = parseRequest(raw);
      id = request.id;
      const result = await this.run(request.command, request.args);
      return okResponse(request.id, result);
    } catch (error) {
      return errorResponse(id, toErrorInfo(error));
    }
  }

  /**
   * Runs a command in this process, as a client would through a host: the arguments and the
   * result are checked by the command's schemas. Throws ProtocolError (INVALID_ARGS names
   * every bad field) or whatever the handler throws.
   */
  async invoke<C extends EngineCommandName>(command: C, args: CommandArgsIn<C>): Promise<CommandResult<C>> {
    const result = await this.run(command, parseArgs(command, args));
    return parseResult(command, result);
  }

  private async run(command: CommandName, args: unknown): Promise<unknown> {
    if (isHostCommand(command)) {
      throw new ProtocolError('UNKNOWN_COMMAND', `"${command}" is answered by the host, not the engine`);
    }
    const handler = this.handlers[command] as Handler<EngineCommandName>;
    const stats = this.statsOf(command);
    const key = supersedeKey(args);
    const controller = new AbortController();
    if (key !== null) {
      this.inFlight.get(key)?.abort(`superseded by a newer request with supersede key "${key}"`);
      this.inFlight.set(key, controller);
    }
    stats.started += 1;
    try {
      if (controller.signal.aborted) throw cancelledError(controller.signal);
      // Models the handler loads stay alive until it settles (runs/leases.ts).
      const result = await withRequestScope(() => handler(args as never, this.contextFor(controller.signal)));
      stats.completed += 1;
      return result;
    } catch (error) {
      if (error instanceof ProtocolError && error.code === 'CANCELLED') stats.cancelled += 1;
      else stats.failed += 1;
      throw error;
    } finally {
      if (key !== null && this.inFlight.get(key) === controller) this.inFlight.delete(key);
    }
  }

  private contextFor(signal: AbortSignal): EngineContext {
    const ctx: EngineContext = {
      emit: (event, payload) => this.emit(event, payload),
      log: (level, source, message) => this.emit('log', { level, source, message }),
      signal,
      throwIfCancelled: () => {
        if (signal.aborted) throw cancelledError(signal);
      },
      requestStats: () => this.snapshot(),
    };
    return ctx;
  }

  private statsOf(command: string): CommandStats {
    let stats = this.stats.get(command);
    if (!stats) {
      stats = { started: 0, completed: 0, failed: 0, cancelled: 0 };
      this.stats.set(command, stats);
    }
    return stats;
  }

  private snapshot(): RequestStats {
    return { commands: Object.fromEntries([...this.stats].map(([name, s]) => [name, { ...s }])) };
  }
}

function supersedeKey(args: unknown): string | null {
  if (typeof args !== 'object' || args === null || !('supersede' in args)) return null;
  const key = (args as { supersede?: unknown }).supersede;
  return typeof key === 'string' && key.length > 0 ? key : null;
}
