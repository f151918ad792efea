/**
 * Serve mode: the built renderer over HTTP and the protocol over a WebSocket (`/ws`), bound to
 * 127.0.0.1 by default. Every WebSocket must present the per-run token (query `token=`) and,
 * when a browser sends an Origin, come from this server's own origin. Oversized or malformed
 * frames get an error reply; the connection and the server stay up.
 */
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { createReadStream, existsSync, statSync } from 'node:fs';
import { type IncomingMessage, type Server, type ServerResponse, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { extname, join, normalize, resolve, sep } from 'node:path';
import { WebSocket, WebSocketServer } from 'ws';
import { MAX_REQUEST_BYTES, ProtocolError, errorResponse } from '../../src-shared/protocol';
import type { Router } from './router';

export interface ServeOptions {
  router: Router;
  /** Folder of the built renderer (index.html and assets). */
  staticDir: string;
  host?: string;
  /** 0 picks a free port. */
  port?: number;
  /** A fixed token (tests); a random one per run otherwise. */
  token?: string;
}

export interface RunningServer {
  url: string;
  port: number;
  token: string;
  close(): Promise<void>;
}

const MIME: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.png': 'image/png',
  '.svg': 'image/svg+xml',
  '.ico': 'image/x-icon',
  '.wasm': 'application/wasm',
  '.woff2': 'font/woff2',
};

/** The same CSP as the Electron window, plus the WebSocket to this very server. */
const CSP =
  "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; connect-src 'self' ws: wss:; object-src 'none'; base-uri 'none'; frame-ancestors 'none'";

export async function startServer(options: ServeOptions): Promise<RunningServer> {
  const host = options.host ?? '127.0.0.1';
  const token = options.token ?? randomBytes(24).toString('base64url');
  const staticDir = resolve(options.staticDir);
  if (!existsSync(join(staticDir, 'index.html'))) {
    throw new Error(`no built renderer at ${staticDir} (index.html missing); run "npm run build"`);
  }
  const server = createServer((req, res) => serveStatic(staticDir, req, res));
  // The hard limit closes the socket (protects memory); below it, the router's soft limit
  // (MAX_REQUEST_BYTES) answers with a TOO_LARGE error and keeps the connection.
  const wss = new WebSocketServer({ noServer: true, maxPayload: 16 * MAX_REQUEST_BYTES });
  const clients = new Set<WebSocket>();

  server.on('upgrade', (req, socket, head) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const origin = req.headers.origin;
    const ownOrigins = new Set([`http://${req.headers.host ?? ''}`]);
    if (url.pathname !== '/ws' || !tokenMatches(url.searchParams.get('token'), token) || (origin !== undefined && !ownOrigins.has(origin))) {
      socket.write('HTTP/1.1 403 Forbidden\r\nConnection: close\r\n\r\n');
      socket.destroy();
      return;
    }
    wss.handleUpgrade(req, socket, head, (ws) => wss.emit('connection', ws, req));
  });

  wss.on('connection', (ws) => {
    clients.add(ws);
    ws.on('close', () => clients.delete(ws));
    ws.on('error', () => clients.delete(ws));
    ws.on('message', (data, isBinary) => {
      void (async () => {
        const text = isBinary ? null : rawToString(data);
        const response =
          text === null
            ? errorResponse(null, new ProtocolError('BAD_FRAME', 'binary frames are not part of the protocol; send JSON text').toInfo())
            : await options.router.handle(text);
        if (ws.readyState === WebSocket.OPEN) ws.send(JSON.stringify(response));
      })();
    });
  });

  const unsubscribe = options.router.onEvent((frame) => {
    const text = JSON.stringify(frame);
    for (const ws of clients) if (ws.readyState === WebSocket.OPEN) ws.send(text);
  });

  await new Promise<void>((resolvePromise, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => {
      server.off('error', reject);
      resolvePromise();
    });
  });
  const port = (server.address() as AddressInfo).port;
  const url = `http://${host}:${port}/?token=${encodeURIComponent(token)}`;
  return {
    url,
    port,
    token,
    close: () => closeAll(server, wss, clients, unsubscribe),
  };
}

function tokenMatches(given: string | null, expected: string): boolean {
  if (given === null) return false;
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

function rawToString(data: WebSocket.RawData): string {
  if (Array.isArray(data)) return Buffer.concat(data).toString('utf8');
  if (data instanceof ArrayBuffer) return Buffer.from(data).toString('utf8');
  return data.toString('utf8');
}

function serveStatic(root: string, req: IncomingMessage, res: ServerResponse): void {
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    res.writeHead(405, { Allow: 'GET, HEAD' }).end();
    return;
  }
  const url = new URL(req.url ?? '/', 'http://localhost');
  let pathname: string;
  try {
    pathname = decodeURIComponent(url.pathname);
  } catch {
    res.writeHead(400).end('bad path');
    return;
  }
  const file = normalize(join(root, pathname === '/' ? 'index.html' : pathname));
  if (file !== root && !file.startsWith(root + sep)) {
    res.writeHead(403).end('forbidden');
    return;
  }
  if (!existsSync(file) || !statSync(file).isFile()) {
    res.writeHead(404, { 'Content-Type': 'text/plain' }).end('not found');
    return;
  }
  res.writeHead(200, {
    'Content-Type': MIME[extname(file)] ?? 'application/octet-stream',
    'Content-Security-Policy': CSP,
    'X-Content-Type-Options': 'nosniff',
    'Cache-Control': 'no-cache',
  });
  if (req.method === 'HEAD') res.end();
  else createReadStream(file).pipe(res);
}

async function closeAll(server: Server, wss: WebSocketServer, clients: Set<WebSocket>, unsubscribe: () => void): Promise<void> {
  unsubscribe();
  for (const ws of clients) ws.terminate();
  await new Promise<void>((r) => wss.close(() => r()));
  await new Promise<void>((r) => server.close(() => r()));
}
