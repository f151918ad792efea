/** `flowstudio serve`: the app in a browser tab, the protocol over a WebSocket. */
import type { Command } from 'commander';
import { isLoopbackHost } from '../../host/httpGuard';
import { createNodeHost } from '../../host/nodeHost';
import { rendererDir } from '../../host/paths';
import { startServer } from '../../host/serve';

export interface ServeFlags {
  host: string;
  port: string;
  allowRemote?: boolean;
  dataRoot: string[];
}

export async function runServe(flags: ServeFlags): Promise<void> {
  const port = Number(flags.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`--port must be 0..65535, got "${flags.port}"`);
  if (!isLoopbackHost(flags.host)) {
    if (!flags.allowRemote) {
      throw new Error(`--host ${flags.host} is not a loopback address; add --allow-remote to let other machines reach the server`);
    }
    console.error(`warning: serving on ${flags.host}: anyone who can reach this address and has the token controls the engine and reads your runs and datasets`);
  }
  const host = createNodeHost('serve', { dataRoots: flags.dataRoot });
  const server = await startServer({ router: host.router, staticDir: rendererDir(), host: flags.host, allowRemote: flags.allowRemote === true, port });
  console.log(`FlowStudio serving at ${server.url}`);
  let stopping = false;
  const shutdown = (signal: string): void => {
    if (stopping) {
      // A second Ctrl-C: stop waiting for the engine.
      host.close();
      process.exit(1);
    }
    stopping = true;
    console.error(`${signal}: stopping the engine (running trainers checkpoint first) ...`);
    void server
      .close()
      .then(() => host.shutdown())
      .finally(() => process.exit(0));
  };
  process.on('SIGINT', () => shutdown('SIGINT'));
  process.on('SIGTERM', () => shutdown('SIGTERM'));
}

const collect = (value: string, previous: string[]): string[] => [...previous, value];

/** The serve-mode flags, shared by `serve` and `start` (which falls back to serve mode). */
export function serveOptions(command: Command, inServeMode = ''): Command {
  return command
    .option('--host <address>', `address to bind${inServeMode} (any but a loopback address needs --allow-remote)`, '127.0.0.1')
    .option('--allow-remote', `allow a non-loopback --host${inServeMode} (prints a warning)`)
    .option('--port <n>', `port${inServeMode} (0 picks a free one)`, '0')
    .option('--data-root <dir>', 'a folder whose datasets clients may open (repeatable; also FLOWSTUDIO_DATA_ROOTS)', collect, []);
}

export function registerServe(program: Command): void {
  serveOptions(program.command('serve'))
    .description('serve the studio to a browser tab (protocol over a WebSocket on 127.0.0.1, per-run token)')
    .action((flags: ServeFlags) => runServe(flags));
}
