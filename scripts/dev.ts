/**
 * `npm run dev [-- --port N] [-- --data-root DIR]...`: the studio with hot reload.
 *
 * The real serve-mode host (router, path policy, token, loopback, Host/Origin checks; see
 * docs/security.md) listens on a free loopback port with the engine in a child process; Vite
 * serves the renderer from source on 127.0.0.1 (port 5173 unless --port) and forwards the
 * page's protocol WebSocket (/ws) to that host. Open the printed URL: it carries the token, as
 * serve mode's does. Renderer edits apply in place (Vite's hot module replacement); the engine
 * and host run from source through tsx, so edits to src-main or src-shared need only a restart,
 * never a build.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import type { IncomingMessage } from 'node:http';
import { type AddressInfo, createServer as createNetServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { createServer } from 'vite';
import { rendererConfig } from '../electron.vite.config';
import { createNodeHost } from '../src-main/host/nodeHost';
import { startServer } from '../src-main/host/serve';

const { values } = parseArgs({
  options: { port: { type: 'string', default: '5173' }, 'data-root': { type: 'string', multiple: true, default: [] } },
});
const port = Number(values.port);
if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`--port must be 0..65535, got "${values.port}"`);

/** A free loopback port (Vite reads port 0 as "the default"; tests pass 0). */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createNetServer().once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port: free } = probe.address() as AddressInfo;
      probe.close(() => resolve(free));
    });
  });
}
const devPort = port === 0 ? await freePort() : port;

// The host serves no page in dev mode (Vite does); its static folder holds a pointer to Vite.
const placeholder = mkdtempSync(join(tmpdir(), 'flowstudio-dev-'));
writeFileSync(join(placeholder, 'index.html'), '<!doctype html><title>FlowStudio dev engine</title><p>This is the engine of <code>npm run dev</code>: open the URL it printed.</p>\n');

const host = createNodeHost('serve', { dataRoots: values['data-root'] });
const engine = await startServer({ router: host.router, staticDir: placeholder });
const engineOrigin = `http://127.0.0.1:${engine.port}`;

/** The dev page's own origins (the port is known once Vite listens). */
function devOrigins(): Set<string> {
  const address = vite.httpServer?.address() as AddressInfo | null;
  if (!address) return new Set();
  return new Set(['127.0.0.1', 'localhost', '[::1]'].map((name) => `http://${name}:${address.port}`));
}

const vite = await createServer({
  ...rendererConfig,
  configFile: false,
  server: {
    host: '127.0.0.1',
    port: devPort,
    // The default port moves up when taken; a port asked for is that port or an error.
    strictPort: port !== 5173,
    proxy: {
      '^/ws(\\?|$)': {
        target: engineOrigin,
        ws: true,
        changeOrigin: true,
        configure(proxy) {
          // The host accepts a browser's WebSocket only from its own origin: vouch for the dev
          // page, and for nothing else (any other origin reaches the host as it is, and is
          // refused there). The token is checked by the host either way.
          proxy.on('proxyReqWs', (proxyReq, req: IncomingMessage) => {
            const origin = req.headers.origin?.toLowerCase();
            if (origin !== undefined && devOrigins().has(origin)) proxyReq.setHeader('origin', engineOrigin);
          });
        },
      },
    },
  },
});
await vite.listen();
const local = vite.resolvedUrls?.local[0] ?? `http://127.0.0.1:${(vite.httpServer?.address() as AddressInfo).port}/`;
console.log(`FlowStudio dev: serving at ${local}?token=${encodeURIComponent(engine.token)} (hot reload; engine host on ${engineOrigin})`);

let stopping = false;
async function stop(signal: string): Promise<void> {
  if (stopping) process.exit(1); // a second Ctrl-C: stop waiting
  stopping = true;
  console.error(`${signal}: stopping the dev server and the engine ...`);
  try {
    await vite.close();
    await engine.close();
    await host.shutdown();
  } finally {
    rmSync(placeholder, { recursive: true, force: true });
    process.exit(0);
  }
}
process.on('SIGINT', () => void stop('SIGINT'));
process.on('SIGTERM', () => void stop('SIGTERM'));
