/**
 * Runs one validated request against the handler map and turns the outcome into a response
 * frame. Transport-free, so it is tested directly and shared by the process entry.
 */
import {
  type CommandName,
  type EngineCommandName,
  type EventFrame,
  type EventName,
  type EventPayload,
  PROTOCOL_VERSION,
  ProtocolError,
  type ResponseFrame,
  errorResponse,
  isHostCommand,
  okResponse,
  parseRequest,
  toErrorInfo,
  idOf,
} from '../../src-shared/protocol';
import type { EngineContext, Handler, HandlerMap } from './context';

export class Dispatcher {
  constructor(
    private readonly handlers: HandlerMap,
    private readonly send: (frame: EventFrame) => void,
  ) {}

  readonly context: EngineContext = {
    emit: <E extends EventName>(event: E, payload: EventPayload<E>) => {
      this.send({ v: PROTOCOL_VERSION, type: 'event', event, payload });
    },
    log: (level, source, message) => {
      this.context.emit('log', { level, source, message });
    },
  };

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

  private async run(command: CommandName, args: unknown): Promise<unknown> {
    if (isHostCommand(command)) {
      throw new ProtocolError('UNKNOWN_COMMAND', `"${command}" is answered by the host, not the engine`);
    }
    const handler = this.handlers[command as EngineCommandName] as Handler<EngineCommandName> | undefined;
    if (!handler) throw new ProtocolError('FAILED', `command "${command}" is not implemented by this engine`);
    return handler(args as never, this.context);
  }
}
