/**
 * Latest-wins requests for controls that fire continuously (a temperature slider, a level
 * toggle): debounce the input, keep at most one request in flight so a dragging user does not
 * queue dozens of engine jobs, remember only the newest waiting arguments, and never let an
 * older response overwrite a newer one.
 */
export interface LatestHandlers<A, R> {
  onResult(result: R, args: A): void;
  onError(error: unknown, args: A): void;
  /** True from the first request until no request is waiting or in flight. */
  onBusyChange?(busy: boolean): void;
}

export interface LatestRunner<A> {
  /** Debounced: only the last arguments within `debounceMs` are sent. */
  request(args: A): void;
  /** Skips the debounce (buttons such as Regenerate). */
  now(args: A): void;
  /** Forgets waiting arguments and ignores whatever is in flight (the run changed). */
  cancel(): void;
}

export function createLatestRunner<A, R>(
  task: (args: A) => Promise<R>,
  handlers: LatestHandlers<A, R>,
  debounceMs = 150,
): LatestRunner<A> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  let generation = 0;
  let issued = 0;
  let applied = 0;
  let inFlight = false;
  let queued: { args: A } | undefined;
  let busy = false;

  const setBusy = (value: boolean): void => {
    if (busy === value) return;
    busy = value;
    handlers.onBusyChange?.(value);
  };

  const launch = (args: A): void => {
    const seq = ++issued;
    const gen = generation;
    inFlight = true;
    setBusy(true);
    const settle = (apply: () => void): void => {
      if (gen !== generation) return;
      // Responses arrive in order with one in flight, but a bridge may reorder: keep newest.
      if (seq > applied) {
        applied = seq;
        apply();
      }
      inFlight = false;
      const next = queued;
      queued = undefined;
      if (next) launch(next.args);
      else if (timer === undefined) setBusy(false);
    };
    let promise: Promise<R>;
    try {
      promise = task(args);
    } catch (error) {
      promise = Promise.reject(error);
    }
    promise.then(
      (result) => settle(() => handlers.onResult(result, args)),
      (error: unknown) => settle(() => handlers.onError(error, args)),
    );
  };

  const start = (args: A): void => {
    timer = undefined;
    if (inFlight) queued = { args };
    else launch(args);
  };

  return {
    request(args) {
      if (timer !== undefined) clearTimeout(timer);
      setBusy(true);
      timer = setTimeout(() => start(args), debounceMs);
    },
    now(args) {
      if (timer !== undefined) clearTimeout(timer);
      start(args);
    },
    cancel() {
      generation++;
      if (timer !== undefined) clearTimeout(timer);
      timer = undefined;
      queued = undefined;
      inFlight = false;
      setBusy(false);
    },
  };
}
