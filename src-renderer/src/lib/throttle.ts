/**
 * Leading-and-trailing throttle: runs at once when `intervalMs` has passed since the last run,
 * otherwise once at the end of the interval. For numbers a person reads (progress, legend
 * values): ten updates a second look live, and every DOM text change also costs the charts'
 * mutation observers, so streaming at the engine's step rate would slow the whole page.
 */
export interface Throttled {
  (): void;
  cancel(): void;
}

export function throttle(fn: () => void, intervalMs: number, now: () => number = () => Date.now()): Throttled {
  let last = -Infinity;
  let timer: ReturnType<typeof setTimeout> | null = null;
  const run = (): void => {
    timer = null;
    last = now();
    fn();
  };
  const throttled = (): void => {
    if (timer !== null) return;
    const wait = last + intervalMs - now();
    if (wait <= 0) run();
    else timer = setTimeout(run, wait);
  };
  throttled.cancel = (): void => {
    if (timer !== null) clearTimeout(timer);
    timer = null;
  };
  return throttled;
}
