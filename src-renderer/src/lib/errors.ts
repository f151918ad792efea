/** Turns anything a bridge call can throw into one readable sentence for the user. */
import { BridgeError } from '../../../src-shared/protocol';

const CODE_HINTS: Record<string, string> = {
  ENGINE_UNAVAILABLE: 'The engine is not running.',
  ENGINE_CRASHED: 'The engine process crashed.',
  DISCONNECTED: 'The connection to FlowStudio was lost; reconnecting…',
  TIMEOUT: 'The engine did not answer in time.',
};

export interface ReadableError {
  code: string;
  message: string;
}

export function readableError(error: unknown): ReadableError {
  if (error instanceof BridgeError) {
    const hint = CODE_HINTS[error.code];
    const message = error.message.trim() || hint || 'unknown error';
    return { code: error.code, message: hint && !message.includes(hint) ? `${hint} ${message}` : message };
  }
  if (error instanceof Error) return { code: 'ERROR', message: error.message || error.name };
  return { code: 'ERROR', message: String(error) };
}

/** `Could not sample: <reason>` — context first, so a toast reads as a sentence. */
export function describeFailure(action: string, error: unknown): string {
  return `Could not ${action}: ${readableError(error).message}`;
}
