/**
 * Wire frames. Every transport (Electron IPC, WebSocket, engine process channel) carries
 * these JSON objects. `v` is the protocol version; a peer with another version is refused.
 */
import { z } from 'zod';

export const PROTOCOL_VERSION = 1;

/** Largest request frame accepted, in bytes of JSON text. Requests carry no bulk data. */
export const MAX_REQUEST_BYTES = 1024 * 1024;
/**
 * Shape limits of a decoded request, checked before any schema runs: no command nests deeper
 * than a handful of levels or carries more than a few hundred values, so these bounds only
 * ever refuse hostile frames (a 100 000-deep array would overflow the stack of anything that
 * recurses over it: zod's error formatting, String(), JSON.stringify).
 */
export const MAX_REQUEST_DEPTH = 32;
export const MAX_REQUEST_VALUES = 100_000;

/** Largest response or event frame, in bytes of JSON text (image grids are the big ones). */
export const MAX_RESPONSE_BYTES = 64 * 1024 * 1024;

export const RequestFrameSchema = z
  .object({
    v: z.literal(PROTOCOL_VERSION),
    type: z.literal('request'),
    id: z.number().int().min(0).max(Number.MAX_SAFE_INTEGER),
    command: z.string().min(1).max(64),
    args: z.unknown(),
  })
  .strict();
export type RequestFrame = z.infer<typeof RequestFrameSchema>;

/** Error codes a response may carry. */
export const ErrorCodeSchema = z.enum([
  'BAD_FRAME',
  'UNKNOWN_COMMAND',
  'INVALID_ARGS',
  'TOO_LARGE',
  /** A path outside the folders a client may use (host/pathPolicy.ts). */
  'FORBIDDEN_PATH',
  'VERSION_MISMATCH',
  'ENGINE_UNAVAILABLE',
  'ENGINE_CRASHED',
  'TIMEOUT',
  'FAILED',
  'INVALID_RESULT',
  /** A newer request with the same `supersede` key replaced this one before it finished. */
  'CANCELLED',
]);
export type ErrorCode = z.infer<typeof ErrorCodeSchema>;

export const ErrorInfoSchema = z
  .object({ code: ErrorCodeSchema, message: z.string(), details: z.array(z.string()).optional() })
  .strict();
export type ErrorInfo = z.infer<typeof ErrorInfoSchema>;

export const ResponseFrameSchema = z.discriminatedUnion('ok', [
  z
    .object({ v: z.literal(PROTOCOL_VERSION), type: z.literal('response'), id: z.number().int().nullable(), ok: z.literal(true), result: z.unknown() })
    .strict(),
  z
    .object({ v: z.literal(PROTOCOL_VERSION), type: z.literal('response'), id: z.number().int().nullable(), ok: z.literal(false), error: ErrorInfoSchema })
    .strict(),
]);
export type ResponseFrame = z.infer<typeof ResponseFrameSchema>;

export const EventFrameSchema = z
  .object({ v: z.literal(PROTOCOL_VERSION), type: z.literal('event'), event: z.string(), payload: z.unknown() })
  .strict();
export type EventFrame = z.infer<typeof EventFrameSchema>;

export const ServerFrameSchema = z.union([ResponseFrameSchema, EventFrameSchema]);
export type ServerFrame = z.infer<typeof ServerFrameSchema>;
