/**
 * Request-scoped leases on loaded models. The dispatcher runs each request inside
 * `withRequestScope`; a model handed to a request (RunManager.load) is leased until that
 * request ends, so evicting it from the cache (another run was loaded meanwhile) defers the
 * dispose until the last request using it is done. Without it, two requests on two runs in
 * flight together disposed each other's model ("Cannot read properties of undefined").
 */
import { AsyncLocalStorage } from 'node:async_hooks';

const scope = new AsyncLocalStorage<Array<() => void>>();

/** Runs `fn`; everything leased inside it is released when it settles. */
export async function withRequestScope<T>(fn: () => Promise<T>): Promise<T> {
  const releases: Array<() => void> = [];
  return scope.run(releases, async () => {
    try {
      return await fn();
    } finally {
      for (const release of releases.splice(0)) release();
    }
  });
}

/** Registers `release` for the end of the current request; false outside any request. */
export function releaseAtRequestEnd(release: () => void): boolean {
  const releases = scope.getStore();
  if (!releases) return false;
  releases.push(release);
  return true;
}
