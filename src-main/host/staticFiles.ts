/**
 * The built renderer over HTTP (serve mode). Only regular files inside the renderer folder
 * are served: the decoded path must stay inside it lexically (no `../`, `%2e%2e`, `%2f`), and
 * its real path too (no symlink out of it). These files are the app's own code, the same for
 * every user; no run file, image or dataset is ever served over HTTP (those travel only over
 * the token-checked WebSocket), so this route needs no token.
 */
import { createReadStream } from 'node:fs';
import { realpath, stat } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { extname, join, normalize, sep } from 'node:path';
import { CONTENT_SECURITY_POLICY } from './csp';

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

export const SECURITY_HEADERS = {
  'Content-Security-Policy': CONTENT_SECURITY_POLICY,
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'no-referrer',
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Resource-Policy': 'same-origin',
};

function inside(root: string, file: string): boolean {
  return file === root || file.startsWith(root + sep);
}

/** Answers with a short plain-text status (never echoing the request). */
export function plain(res: ServerResponse, status: number, text: string): void {
  res.writeHead(status, { 'Content-Type': 'text/plain; charset=utf-8', ...SECURITY_HEADERS }).end(`${text}\n`);
}

/** A handler for files under `root` (which must be a real path, symlinks resolved). */
export function staticFiles(root: string): (req: IncomingMessage, res: ServerResponse, pathname: string) => Promise<void> {
  return async (req, res, pathname) => {
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { Allow: 'GET, HEAD', ...SECURITY_HEADERS }).end();
      return;
    }
    let decoded: string;
    try {
      decoded = decodeURIComponent(pathname);
    } catch {
      plain(res, 400, 'bad path encoding');
      return;
    }
    if (decoded.includes('\0')) {
      plain(res, 400, 'path contains a NUL byte');
      return;
    }
    const file = normalize(join(root, decoded === '/' ? 'index.html' : decoded));
    if (!inside(root, file)) {
      plain(res, 403, 'forbidden');
      return;
    }
    let real: string;
    try {
      real = await realpath(file);
    } catch {
      plain(res, 404, 'not found');
      return;
    }
    if (!inside(root, real)) {
      plain(res, 403, 'forbidden');
      return;
    }
    const info = await stat(real).catch(() => null);
    if (!info?.isFile()) {
      plain(res, 404, 'not found');
      return;
    }
    res.writeHead(200, {
      'Content-Type': MIME[extname(real)] ?? 'application/octet-stream',
      'Content-Length': info.size,
      'Cache-Control': 'no-cache',
      ...SECURITY_HEADERS,
    });
    if (req.method === 'HEAD') {
      res.end();
      return;
    }
    const stream = createReadStream(real);
    // A file removed or unreadable mid-stream ends this response, not the server.
    stream.on('error', () => res.destroy());
    stream.pipe(res);
  };
}
