/**
 * The router: the one place where client frames enter the host. It validates every request
 * (size, version, command, arguments), answers host commands itself, forwards the rest to the
 * engine, validates the engine's results and events, and never throws: every failure becomes
 * an error response that names the problem.
 */
import {
  type CommandArgs,
  type CommandName,
  type CommandResult,
  ProtocolError,
  type EngineCommandName,
  type EventFrame,
  type HostCommandName,
  type HostInfo,
  PROTOCOL_VERSION,
  type ResponseFrame,
  errorResponse,
  idOf,
  isEventName,
  isHostCommand,
  okResponse,
  parseEvent,
  parseRequest,
  parseResult,
  toErrorInfo,
} from '../../src-shared/protocol';
import type { EngineClient } from './engineClient';

export type HostMode = HostInfo['mode'];

/** Host commands whose answer depends on the host (Electron dialogs). */
export interface HostHooks {
  pickPath?: (args: CommandArgs<'pickPath'>) => Promise<CommandResult<'pickPath'>>;
}

export class Router {
  private readonly listeners = new Set<(frame: EventFrame) => void>();

  constructor(
    private readonly engine: EngineClient,
    private readonly mode: HostMode,
    private readonly appVersion: string,
    private readonly hooks: HostHooks = {},
  ) {
    engine.onEvent((frame) => this.relayEvent(frame));
  }

  /** Subscribes to validated events (for broadcasting to clients). */
  onEvent(listener: (frame: EventFrame) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Handles one raw request (JSON text or decoded object) from any client. */
  async handle(raw: unknown): Promise<ResponseFrame> {
    let id = idOf(raw);
    try {
      const request = parseRequest(raw);
      id = request.id;
      let result = isHostCommand(request.command)
        ? await this.hostCommand(request.command, request.args)
        : await this.engine.request(request.command as EngineCommandName, request.args);
      if (request.command === 'health') result = { ...(result as object), pendingRequests: this.engine.pendingCount };
      return okResponse(request.id, parseResult(request.command as CommandName, result));
    } catch (error) {
      return errorResponse(id, toErrorInfo(error));
    }
  }

  /** Emits a host-originated event (validated like the engine's). */
  emit(frame: EventFrame): void {
    this.relayEvent(frame);
  }

  private async hostCommand(command: HostCommandName, args: unknown): Promise<unknown> {
    switch (command) {
      case 'getHostInfo':
        return {
          mode: this.mode,
          appVersion: this.appVersion,
          protocolVersion: PROTOCOL_VERSION,
          enginePid: this.engine.pid,
          engineRestarts: this.engine.restarts,
        };
      case 'restartEngine':
        return { pid: await this.engine.restart() };
      case 'pickPath':
        if (!this.hooks.pickPath) {
          throw new ProtocolError('FAILED', 'file dialogs exist only in the desktop app; type the path instead');
        }
        return this.hooks.pickPath(args as CommandArgs<'pickPath'>);
    }
  }

  private relayEvent(frame: EventFrame): void {
    if (!isEventName(frame.event)) return;
    let payload: unknown;
    try {
      payload = parseEvent(frame.event, frame.payload);
    } catch (error) {
      // An engine bug: tell the clients instead of forwarding a malformed event.
      payload = { code: 'INVALID_EVENT', message: toErrorInfo(error).message, engineLost: false };
      frame = { ...frame, event: 'error' };
    }
    const validated: EventFrame = { v: PROTOCOL_VERSION, type: 'event', event: frame.event, payload };
    for (const listener of this.listeners) listener(validated);
  }
}
