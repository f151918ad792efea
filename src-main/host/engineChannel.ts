/**
 * A message channel to an engine process. Two implementations: child_process.fork (Node:
 * CLI, serve mode, tests) and Electron's utilityProcess (src-main/app/utilityChannel.ts).
 */
import { fork } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export interface EngineChannel {
  readonly pid: number | undefined;
  send(message: unknown): void;
  onMessage(listener: (message: unknown) => void): void;
  /** Called once when the process is gone, with a description of why. */
  onExit(listener: (reason: string) => void): void;
  kill(): void;
}

export interface EngineEntry {
  modulePath: string;
  execArgv: string[];
}

/**
 * Where the engine entry is: the built `out/main/engine.js` next to the running bundle, or the
 * TypeScript source run through tsx when this code itself runs from source (tests, dev).
 */
export function resolveEngineEntry(): EngineEntry {
  const here = dirname(fileURLToPath(import.meta.url));
  const built = join(here, 'engine.js');
  if (!import.meta.url.endsWith('.ts') && existsSync(built)) return { modulePath: built, execArgv: [] };
  const source = resolve(here, '../engine/process.ts');
  if (existsSync(source)) return { modulePath: source, execArgv: ['--import', 'tsx'] };
  throw new Error(`engine entry not found (looked for ${built} and ${source}); run "npm run build"`);
}

export function forkEngine(entry: EngineEntry = resolveEngineEntry(), env: NodeJS.ProcessEnv = process.env): EngineChannel {
  const child = fork(entry.modulePath, [], {
    execArgv: entry.execArgv,
    env,
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    serialization: 'json',
  });
  let exitListener: ((reason: string) => void) | null = null;
  let exited = false;
  const report = (reason: string): void => {
    if (exited) return;
    exited = true;
    exitListener?.(reason);
  };
  child.on('exit', (code, signal) => report(signal ? `killed by ${signal}` : `exited with code ${code}`));
  child.on('error', (error) => report(`process error: ${error.message}`));
  return {
    get pid() {
      return child.pid;
    },
    send(message) {
      if (child.connected) child.send(message as object);
    },
    onMessage(listener) {
      child.on('message', listener);
    },
    onExit(listener) {
      exitListener = listener;
    },
    kill() {
      child.kill('SIGKILL');
    },
  };
}
