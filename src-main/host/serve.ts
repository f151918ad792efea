/**
 * Serve mode: the built renderer over HTTP and the protocol over a WebSocket (`/ws`), bound to
 * 127.0.0.1 unless a non-loopback address is explicitly allowed (`allowRemote`). Every request
 * must name this server in its Host header and, when a browser sends an Origin, come from this
 * server's own origin (httpGuard.ts); every WebSocket must present the per-run token (query
 * `token=`). No request, however malformed, can stop the server: an unparsable target gets
 * 400, a failing handler 500, and oversized or malformed frames an error reply.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, realpathSync } from 'node:fs';
import { type IncomingMessage, type Server, type ServerResponse, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import type { Duplex } from 'node:stream';
import { WebSocket, WebSocketServer } from 'ws';
import { MAX_REQUEST_BYTES, ProtocolError, errorResponse } from '../../src-shared/protocol';
import { authority, checkHostAndOrigin, isLoopbackHost, ownAuthorities, parseTarget, tokenMatches } from './httpGuard';
import type { Router } from './router';
import { plain, staticFiles } from './staticFiles';

export interface ServeOptions {
  router: Router;
  /** Folder of the built renderer (index.html and assets). */
  staticDir: string;
  /** Address to bind; 127.0.0.1 by default. */
  host?: string;
  /** Needed to bind anything but a loopback address (the caller warns the user). */
  allowRemote?: boolean;
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

export async function startServer(options: ServeOptions): Promise<RunningServer> {
  const host = options.host ?? '127.0.0.1';
  if (!isLoopbackHost(host) && !options.allowRemote) {
    throw new Error(`refusing to serve on ${host}: it is not a loopback address; pass --allow-remote to let other machines connect`);
  }
  const token = options.token ?? randomBytes(24).toString('base64url');
  if (!existsSync(join(options.staticDir, 'index.html'))) {
    throw new Error(`no built renderer at ${options.staticDir} (index.html missing); run "npm run build"`);
  }
  const staticRoot = realpathSync(options.staticDir);
  const serveFile = staticFiles(staticRoot);
  // Filled in once the port is known; no request can arrive before listen() completes.
  let allowed = new Set<string>();

  const server = createServer((req, res) => {
    void handleHttp(req, res).catch(() => failRequest(res));
  });
  const handleHttp = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const url = parseTarget(req.url);
    if (!url) return plain(res, 400, 'bad request target');
    const verdict = checkHostAndOrigin(req.headers, allowed);
    if (!verdict.ok) return plain(res, verdict.status, verdict.reason);
    if (url.pathname === '/ws') return plain(res, 426, 'the protocol endpoint needs a WebSocket upgrade');
    await serveFile(req, res, url.pathname);
  };
  // Malformed HTTP (bad request line, oversized headers): answer 400 and drop the socket.
  server.on('clientError', (_error, socket: Duplex) => refuseSocket(socket, 400, 'Bad Request'));

  // The hard limit closes the socket (protects memory); below it, the router's soft limit
  // (MAX_REQUEST_BYTES) answers with a TOO_LARGE error and keeps the connection.
  const wss = new WebSocketServer({ noServer: true, maxPayload: 16 * MAX_REQUEST_BYTES });
  const clients = new Set<WebSocket>();

  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    // A client that resets mid-handshake must not raise an unhandled 'error'.
    socket.on('error', () => socket.destroy());
    try {
      const url = parseTarget(req.url);
      if (!url) return refuseSocket(socket, 400, 'Bad Request');
      const verdict = checkHostAndOrigin(req.headers, allowed);
      if (url.pathname !== '/ws' || !verdict.ok || !tokenMatches(url.searchParams.get('token'), token)) {
        return refuseSocket(socket, 403, 'Forbidden');
      }
      wss.handleUpgrade(req, socket, head, (ws) => wss.emit('connection', ws, req));
    } catch {
      refuseSocket(socket, 500, 'Internal Server Error');
    }
  });

  wss.on('connection', (ws: WebSocket) => {
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
      })().catch(() => ws.close(1011, 'internal error'));
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
  allowed = ownAuthorities(host, port);
  // A wildcard bind is reached from this machine as 127.0.0.1.
  const shown = host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host;
  const url = `http://${authority(shown, port)}/?token=${encodeURIComponent(token)}`;
  return {
    url,
    port,
    token,
    close: () => closeAll(server, wss, clients, unsubscribe),
  };
}

/** Answers a raw socket with a bare status line, then drops it (flushed, or after 1 s at most). */
function refuseSocket(socket: Duplex, status: number, text: string): void {
  if (!socket.writable) {
    socket.destroy();
    return;
  }
  setTimeout(() => socket.destroy(), 1000).unref();
  socket.end(`HTTP/1.1 ${status} ${text}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`, () => socket.destroy());
}

/** Last resort for a handler that threw: 500 if nothing was sent yet, else drop the response. */
function failRequest(res: ServerResponse): void {
  if (res.headersSent) res.destroy();
  else plain(res, 500, 'internal error');
}

function rawToString(data: WebSocket.RawData): string {
  if (Array.isArray(data)) return Buffer.concat(data).toString('utf8');
  if (data instanceof ArrayBuffer) return Buffer.from(data).toString('utf8');
  return data.toString('utf8');
}

async function closeAll(server: Server, wss: WebSocketServer, clients: Set<WebSocket>, unsubscribe: () => void): Promise<void> {
  unsubscribe();
  for (const ws of clients) ws.terminate();
  await new Promise<void>((r) => wss.close(() => r()));
  server.closeAllConnections();
  await new Promise<void>((r) => server.close(() => r()));
}
