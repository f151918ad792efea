/**
 * The Bridge: how a client (the renderer, a test, the CLI) talks to the host. The Electron
 * preload and the WebSocket client are two implementations of it.
 */
import type { CommandArgsIn, CommandName, CommandResult } from './commands';
import type { EventName, EventPayload } from './events';

type BridgeKind = 'electron' | 'websocket' | 'memory';

export interface Bridge {
  readonly kind: BridgeKind;
  invoke<C extends CommandName>(command: C, args: CommandArgsIn<C>): Promise<CommandResult<C>>;
  /** Subscribes to an event; returns the unsubscribe function. */
  on<E extends EventName>(event: E, listener: (payload: EventPayload<E>) => void): () => void;
}

/** What the Electron preload exposes on `window.flowstudio` (raw frames, no zod in the preload's API). */
export interface PreloadApi {
  invoke(command: string, args: unknown): Promise<unknown>;
  on(listener: (frame: unknown) => void): () => void;
}

/** Error thrown by bridges when the peer answers with an error response. */
export class BridgeError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly details?: string[],
  ) {
    super(message);
    this.name = 'BridgeError';
  }
}
