/** A host without Electron: engine in a child process, router in this one. */
import { EngineClient, type EngineClientOptions } from './engineClient';
import { type EngineEntry, forkEngine, resolveEngineEntry } from './engineChannel';
import { appVersion } from './paths';
import { type HostMode, Router } from './router';

export interface NodeHost {
  engine: EngineClient;
  router: Router;
  close(): void;
}

export function createNodeHost(
  mode: HostMode,
  options: EngineClientOptions & { entry?: EngineEntry; env?: NodeJS.ProcessEnv } = {},
): NodeHost {
  const entry = options.entry ?? resolveEngineEntry();
  const engine = new EngineClient(() => forkEngine(entry, options.env ?? process.env), options);
  const router = new Router(engine, mode, appVersion());
  return { engine, router, close: () => engine.close() };
}
