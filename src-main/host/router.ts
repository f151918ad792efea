/**
 * The router: the one place where client frames enter the host. It validates every request
 * (size, version, command, arguments, and every path against the path policy), answers host
 * commands itself, forwards the rest to the engine, validates the engine's results and
 * events, and never throws: every failure becomes an error response that names the problem.
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
import { pathUsesOf } from './pathFields';
import type { PathPolicy } from './pathPolicy';

export type HostMode = HostInfo['mode'];

/** Host commands whose answer depends on the host (Electron dialogs). */
export interface HostHooks {
  pickPath?: (args: CommandArgs<'pickPath'>) => Promise<CommandResult<'pickPath'>>;
}

export interface RouterOptions {
  mode: HostMode;
  appVersion: string;
  /** Which folders clients may name (every path argument is checked before the engine sees it). */
  paths: PathPolicy;
  hooks?: HostHooks;
}

export class Router {
  private readonly listeners = new Set<(frame: EventFrame) => void>();
  private readonly mode: HostMode;
  private readonly appVersion: string;
  private readonly paths: PathPolicy;
  private readonly hooks: HostHooks;

  constructor(
    private readonly engine: EngineClient,
    options: RouterOptions,
  ) {
    this.mode = options.mode;
    this.appVersion = options.appVersion;
    this.paths = options.paths;
    this.hooks = options.hooks ?? {};
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
      for (const use of pathUsesOf(request.command, request.args)) await this.paths.check(use);
      const result = isHostCommand(request.command)
        ? await this.hostCommand(request.command, request.args)
        : await this.engine.request(request.command as EngineCommandName, request.args);
      const valid = parseResult(request.command as CommandName, result);
      return okResponse(request.id, await this.afterEngine(request.command, valid));
    } catch (error) {
      return errorResponse(id, toErrorInfo(error));
    }
  }

  /** What the host adds to or removes from an engine's answer. */
  private async afterEngine(command: CommandName, result: unknown): Promise<unknown> {
    if (command === 'health') {
      // Only the host sees every request in flight (the health request itself is answered).
      return { ...(result as CommandResult<'health'>), pendingRequests: this.engine.pendingCount };
    }
    if (command === 'listRuns') {
      // A link in the runs folder may point anywhere: list only folders clients may open.
      const listed = result as CommandResult<'listRuns'>;
      const allowed = await Promise.all(listed.onDisk.map((run) => this.paths.allows(run.runDir, 'run')));
      return { ...listed, onDisk: listed.onDisk.filter((_, i) => allowed[i]) };
    }
    return result;
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
        return this.picked(await this.hooks.pickPath(args as CommandArgs<'pickPath'>));
    }
  }

  /** A path the user picked in a native dialog may be used from now on. */
  private picked(result: CommandResult<'pickPath'>): CommandResult<'pickPath'> {
    if (result.path !== null) this.paths.allowPicked(result.path);
    return result;
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
