/** Turns response/event frames into results, errors and typed event callbacks. */
import {
  BridgeError,
  type EventName,
  type EventPayload,
  EventFrameSchema,
  ResponseFrameSchema,
  isEventName,
} from '../../../src-shared/protocol';

export type AnyListener = (payload: unknown) => void;

/** Extracts the result of a response frame, or throws BridgeError with the peer's message. */
export function unwrapResponse(frame: unknown): unknown {
  const parsed = ResponseFrameSchema.safeParse(frame);
  if (!parsed.success) throw new BridgeError('BAD_FRAME', 'malformed response from the host');
  if (parsed.data.ok) return parsed.data.result;
  throw new BridgeError(parsed.data.error.code, parsed.data.error.message, parsed.data.error.details);
}

/** A registry of event listeners keyed by event name. */
export class EventHub {
  private readonly listeners = new Map<EventName, Set<AnyListener>>();

  on<E extends EventName>(event: E, listener: (payload: EventPayload<E>) => void): () => void {
    let set = this.listeners.get(event);
    if (!set) {
      set = new Set();
      this.listeners.set(event, set);
    }
    set.add(listener as AnyListener);
    return () => set.delete(listener as AnyListener);
  }

  /** Dispatches an event frame (already validated by the host). */
  dispatch(frame: unknown): void {
    const parsed = EventFrameSchema.safeParse(frame);
    if (!parsed.success || !isEventName(parsed.data.event)) return;
    for (const listener of this.listeners.get(parsed.data.event) ?? []) listener(parsed.data.payload);
  }
}
