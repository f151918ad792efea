/** A host without Electron: engine in a child process, router in this one. */
import { EngineClient, type EngineClientOptions, type ShutdownOutcome } from './engineClient';
import { type EngineEntry, forkEngine, resolveEngineEntry } from './engineChannel';
import { PathPolicy, dataRootsFrom, runsRootFrom } from './pathPolicy';
import { appVersion } from './paths';
import { type HostMode, Router } from './router';

export interface NodeHost {
  engine: EngineClient;
  router: Router;
  /** Kills the engine at once (tests). */
  close(): void;
  /** Stops the engine in order: SIGTERM, a bounded wait for it to checkpoint and exit, SIGKILL. */
  shutdown(graceMs?: number): Promise<ShutdownOutcome | null>;
}

export function createNodeHost(
  mode: HostMode,
  options: EngineClientOptions & { entry?: EngineEntry; env?: NodeJS.ProcessEnv; dataRoots?: string[] } = {},
): NodeHost {
  const entry = options.entry ?? resolveEngineEntry();
  const env = options.env ?? process.env;
  const engine = new EngineClient(() => forkEngine(entry, env), options);
  // The engine is forked with this environment and working directory: its runs folder and the
  // policy's are the same folder.
  const paths = new PathPolicy({ runsRoot: runsRootFrom(env), dataRoots: dataRootsFrom(env, options.dataRoots) });
  const router = new Router(engine, { mode, appVersion: appVersion(), paths });
  return { engine, router, close: () => engine.close(), shutdown: (graceMs) => engine.shutdown(graceMs) };
}
