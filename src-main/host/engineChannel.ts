/**
 * A message channel to an engine process. Two implementations: child_process.fork (Node:
 * CLI, serve mode, tests) and Electron's utilityProcess (src-main/app/utilityChannel.ts).
 */
import { fork } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { appRoot } from './paths';

export interface EngineChannel {
  readonly pid: number | undefined;
  send(message: unknown): void;
  onMessage(listener: (message: unknown) => void): void;
  /**
   * Adds a listener called once when the process is gone, with a description of why (at once
   * when it is gone already).
   */
  onExit(listener: (reason: string) => void): void;
  /** Asks the process to stop (SIGTERM): the engine checkpoints running trainers, then exits. */
  terminate(): void;
  /** Kills the process at once (SIGKILL). */
  kill(): void;
}

/** The exit bookkeeping both channel kinds share: one reason, any number of listeners. */
export class ExitSignal {
  private reason: string | null = null;
  private readonly listeners: ((reason: string) => void)[] = [];

  get exited(): boolean {
    return this.reason !== null;
  }

  report(reason: string): void {
    if (this.reason !== null) return;
    this.reason = reason;
    for (const listener of this.listeners.splice(0)) listener(reason);
  }

  listen(listener: (reason: string) => void): void {
    if (this.reason !== null) listener(this.reason);
    else this.listeners.push(listener);
  }
}

export interface EngineEntry {
  modulePath: string;
  execArgv: string[];
}

/**
 * Where the engine entry is: the built `out/main/engine.js` of this app (this module may sit in
 * a shared chunk of the bundle), or the TypeScript source run through tsx when this code itself
 * runs from source (tests, dev).
 */
export function resolveEngineEntry(): EngineEntry {
  const here = dirname(fileURLToPath(import.meta.url));
  const built = join(appRoot(), 'out', 'main', 'engine.js');
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
    // Its own process group on POSIX: a Ctrl-C in the terminal reaches the host only, which
    // then stops the engine in order (SIGTERM, a bounded wait, then SIGKILL). The engine still
    // exits when the host dies (the message channel disconnects).
    detached: process.platform !== 'win32',
  });
  const exit = new ExitSignal();
  child.on('exit', (code, signal) => exit.report(signal ? `killed by ${signal}` : `exited with code ${code}`));
  child.on('error', (error) => exit.report(`process error: ${error.message}`));
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
      exit.listen(listener);
    },
    terminate() {
      if (!exit.exited) child.kill('SIGTERM');
    },
    kill() {
      if (!exit.exited) child.kill('SIGKILL');
    },
  };
}
