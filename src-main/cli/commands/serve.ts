/** `flowstudio serve`: the app in a browser tab, the protocol over a WebSocket. */
import type { Command } from 'commander';
import { createNodeHost } from '../../host/nodeHost';
import { rendererDir } from '../../host/paths';
import { startServer } from '../../host/serve';

export interface ServeFlags {
  host: string;
  port: string;
}

export async function runServe(flags: ServeFlags): Promise<void> {
  const port = Number(flags.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`--port must be 0..65535, got "${flags.port}"`);
  if (flags.host !== '127.0.0.1' && flags.host !== 'localhost' && flags.host !== '::1') {
    console.error(`warning: serving on ${flags.host}; anyone who can reach it and knows the token controls the engine`);
  }
  const host = createNodeHost('serve');
  const server = await startServer({ router: host.router, staticDir: rendererDir(), host: flags.host, port });
  console.log(`FlowStudio serving at ${server.url}`);
  const shutdown = (): void => {
    void server.close().finally(() => {
      host.close();
      process.exit(0);
    });
  };
  process.once('SIGINT', shutdown);
  process.once('SIGTERM', shutdown);
}

export function registerServe(program: Command): void {
  program
    .command('serve')
    .description('serve the studio to a browser tab (protocol over a WebSocket on 127.0.0.1, per-run token)')
    .option('--host <address>', 'address to bind', '127.0.0.1')
    .option('--port <n>', 'port (0 picks a free one)', '0')
    .action((flags: ServeFlags) => runServe(flags));
}
