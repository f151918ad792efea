/**
 * Validation at the boundaries: every frame that crosses a process or network boundary goes
 * through one of these, which turn schema failures into protocol errors that name the problem.
 */
import type { z } from 'zod';
import {
  type CommandArgs,
  type CommandName,
  type CommandResult,
  commands,
  isCommandName,
} from './commands';
import { type EventName, type EventPayload, events, isEventName } from './events';
import {
  type ErrorCode,
  type ErrorInfo,
  MAX_REQUEST_BYTES,
  MAX_REQUEST_DEPTH,
  MAX_REQUEST_VALUES,
  PROTOCOL_VERSION,
  RequestFrameSchema,
  type ResponseFrame,
} from './frames';

/**
 * An error that travels as a protocol error response. Its message carries the details too
 * (`invalid arguments for "ping": nonce: expected string`), so one line names the problem.
 */
export class ProtocolError extends Error {
  readonly details?: string[];

  constructor(
    readonly code: ErrorCode,
    message: string,
    details?: string[],
  ) {
    super(details && details.length > 0 ? `${message}: ${details.join('; ')}` : message);
    this.name = 'ProtocolError';
    if (details) this.details = details;
  }

  /** Rebuilds an error received from a peer (its message already carries the details). */
  static fromInfo(info: ErrorInfo): ProtocolError {
    const error = new ProtocolError(info.code, info.message);
    if (info.details) Object.assign(error, { details: info.details });
    return error;
  }

  toInfo(): ErrorInfo {
    return this.details ? { code: this.code, message: this.message, details: this.details } : { code: this.code, message: this.message };
  }
}

/** Issues listed in one error; a frame with thousands of bad keys gets a short reply. */
const MAX_ISSUES = 10;
const MAX_ISSUE_CHARS = 300;

/** Human-readable lines for a zod error: `path: message` (the first few, each clipped). */
export function describeIssues(error: z.ZodError): string[] {
  const lines = error.issues.slice(0, MAX_ISSUES).map((issue) => {
    const line = `${issue.path.length > 0 ? issue.path.map(String).join('.') : '(root)'}: ${issue.message}`;
    return line.length > MAX_ISSUE_CHARS ? `${line.slice(0, MAX_ISSUE_CHARS)}...` : line;
  });
  if (error.issues.length > MAX_ISSUES) lines.push(`... and ${error.issues.length - MAX_ISSUES} more problems`);
  return lines;
}

/**
 * Refuses values no request needs, without recursion (so a hostile value cannot overflow the
 * stack here): nesting deeper than MAX_REQUEST_DEPTH, more than MAX_REQUEST_VALUES values, more
 * text than MAX_REQUEST_BYTES (frames that arrive as objects, e.g. over Electron IPC, skip the
 * byte check of JSON text), and anything JSON cannot carry (functions, symbols, bigints).
 */
export function checkRequestShape(value: unknown): void {
  const stack: [unknown, number][] = [[value, 1]];
  let values = 0;
  let chars = 0;
  while (stack.length > 0) {
    const [item, depth] = stack.pop()!;
    if (++values > MAX_REQUEST_VALUES) {
      throw new ProtocolError('TOO_LARGE', `request holds more than ${MAX_REQUEST_VALUES} values; requests carry no bulk data`);
    }
    if (typeof item === 'string') chars += item.length;
    else if (typeof item === 'function' || typeof item === 'symbol' || typeof item === 'bigint') {
      throw new ProtocolError('BAD_FRAME', `request holds a ${typeof item}, which is not JSON data`);
    } else if (typeof item === 'object' && item !== null) {
      if (depth >= MAX_REQUEST_DEPTH) {
        throw new ProtocolError('BAD_FRAME', `request is nested deeper than ${MAX_REQUEST_DEPTH} levels`);
      }
      const keys = Array.isArray(item) ? null : Object.keys(item);
      const children: unknown[] = keys ? keys.map((k) => (item as Record<string, unknown>)[k]) : (item as unknown[]);
      if (keys) for (const key of keys) chars += key.length;
      if (children.length > MAX_REQUEST_VALUES) {
        throw new ProtocolError('TOO_LARGE', `request holds more than ${MAX_REQUEST_VALUES} values; requests carry no bulk data`);
      }
      for (const child of children) stack.push([child, depth + 1]);
    }
    if (chars > MAX_REQUEST_BYTES) {
      throw new ProtocolError('TOO_LARGE', `request text exceeds the ${MAX_REQUEST_BYTES}-character limit`);
    }
  }
}

/** Names a value for an error message without calling its toString (which may throw or recurse). */
function describeValue(value: unknown): string {
  if (typeof value === 'number' || typeof value === 'boolean' || value === null) return String(value);
  if (typeof value === 'string') return JSON.stringify(value.length > 32 ? `${value.slice(0, 32)}...` : value);
  return `of type ${Array.isArray(value) ? 'array' : typeof value}`;
}

export interface ValidRequest<C extends CommandName = CommandName> {
  id: number;
  command: C;
  args: CommandArgs<C>;
}

/**
 * Parses a raw request frame (JSON text or an already-decoded object), checking size,
 * version, command name and arguments. Throws ProtocolError; `idOf` recovers the request id
 * for the error reply when the frame got that far.
 */
export function parseRequest(raw: string | unknown): ValidRequest {
  let value: unknown = raw;
  if (typeof raw === 'string') {
    const bytes = byteLength(raw);
    if (bytes > MAX_REQUEST_BYTES) {
      throw new ProtocolError('TOO_LARGE', `request of ${bytes} bytes exceeds the ${MAX_REQUEST_BYTES}-byte limit`);
    }
    try {
      value = JSON.parse(raw);
    } catch (e) {
      throw new ProtocolError('BAD_FRAME', `request is not valid JSON: ${(e as Error).message}`);
    }
  }
  if (typeof value === 'object' && value !== null && 'v' in value && value.v !== PROTOCOL_VERSION) {
    throw new ProtocolError('VERSION_MISMATCH', `protocol version ${describeValue(value.v)} is not supported; this peer speaks ${PROTOCOL_VERSION}`);
  }
  checkRequestShape(value);
  const frame = RequestFrameSchema.safeParse(value);
  if (!frame.success) {
    throw new ProtocolError('BAD_FRAME', 'malformed request frame', describeIssues(frame.error));
  }
  const { id, command, args } = frame.data;
  if (!isCommandName(command)) {
    throw new ProtocolError('UNKNOWN_COMMAND', `unknown command "${command}"`);
  }
  return { id, command, args: parseArgs(command, args) };
}

export function parseArgs<C extends CommandName>(command: C, args: unknown): CommandArgs<C> {
  const parsed = commands[command].args.safeParse(args ?? {});
  if (!parsed.success) {
    throw new ProtocolError('INVALID_ARGS', `invalid arguments for "${command}"`, describeIssues(parsed.error));
  }
  return parsed.data as CommandArgs<C>;
}

export function parseResult<C extends CommandName>(command: C, result: unknown): CommandResult<C> {
  const parsed = commands[command].result.safeParse(result);
  if (!parsed.success) {
    throw new ProtocolError('INVALID_RESULT', `engine returned an invalid result for "${command}"`, describeIssues(parsed.error));
  }
  return parsed.data as CommandResult<C>;
}

export function parseEvent<E extends EventName>(event: E, payload: unknown): EventPayload<E> {
  const parsed = events[event].safeParse(payload);
  if (!parsed.success) {
    throw new ProtocolError('BAD_FRAME', `invalid payload for event "${event}"`, describeIssues(parsed.error));
  }
  return parsed.data as EventPayload<E>;
}

/** Best-effort id of a request that failed validation, so the error reply can name it. */
export function idOf(raw: unknown): number | null {
  let value = raw;
  if (typeof raw === 'string') {
    try {
      value = JSON.parse(raw);
    } catch {
      return null;
    }
  }
  if (typeof value === 'object' && value !== null && 'id' in value && typeof value.id === 'number' && Number.isInteger(value.id)) {
    return value.id;
  }
  return null;
}

export function errorResponse(id: number | null, error: ErrorInfo): ResponseFrame {
  return { v: PROTOCOL_VERSION, type: 'response', id, ok: false, error };
}

export function okResponse(id: number, result: unknown): ResponseFrame {
  return { v: PROTOCOL_VERSION, type: 'response', id, ok: true, result };
}

/** Converts anything thrown by a handler into the error info a response carries. */
export function toErrorInfo(error: unknown): ErrorInfo {
  if (error instanceof ProtocolError) return error.toInfo();
  if (error instanceof Error) return { code: 'FAILED', message: error.message };
  return { code: 'FAILED', message: String(error) };
}

export { isEventName };

function byteLength(text: string): number {
  // TextEncoder exists in browsers and Node alike; this module runs in both.
  return new TextEncoder().encode(text).length;
}
