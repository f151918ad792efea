/**
 * Errors raised for bad dataset input. The message always names the file or folder at fault,
 * so the UI and the CLI can show it as is.
 */
export class DataError extends Error {
  /** The file or folder the problem is in, when there is one. */
  readonly file: string | undefined;

  constructor(message: string, file?: string) {
    super(message);
    this.name = 'DataError';
    this.file = file;
  }
}

/** Raised when an OpenOptions.signal aborts a scan or a cache build. */
export class DataAbortError extends Error {
  constructor(what: string) {
    super(`${what} was cancelled`);
    this.name = 'AbortError';
  }
}

export function throwIfAborted(signal: AbortSignal | undefined, what: string): void {
  if (signal?.aborted) throw new DataAbortError(what);
}

/** The message of anything thrown (sharp and zlib throw Errors; be safe with the rest). */
export function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
