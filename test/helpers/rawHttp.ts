/** Raw TCP requests for tests: send bytes no HTTP client would send, read what comes back. */
import { connect } from 'node:net';

/**
 * Writes `request` to 127.0.0.1:port and resolves with everything the server sent before it
 * closed the connection (or `timeoutMs` passed; then with what arrived so far).
 */
export function rawRequest(port: number, request: string | Buffer, timeoutMs = 5000): Promise<string> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    const chunks: Buffer[] = [];
    const done = (): void => {
      clearTimeout(timer);
      socket.destroy();
      resolve(Buffer.concat(chunks).toString('latin1'));
    };
    const timer = setTimeout(done, timeoutMs);
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    socket.on('end', done);
    socket.on('close', done);
    socket.on('error', done);
    socket.write(request);
  });
}

/** The status code of a raw HTTP response, or null when none came back. */
export function statusOf(response: string): number | null {
  const match = /^HTTP\/1\.[01] (\d{3})/.exec(response);
  return match?.[1] ? Number(match[1]) : null;
}

/** A GET with the given target and headers (Host defaults to this server). */
export function getRequest(port: number, target: string, headers: Record<string, string> = {}): string {
  const all = { Host: `127.0.0.1:${port}`, Connection: 'close', ...headers };
  return `GET ${target} HTTP/1.1\r\n${Object.entries(all)
    .map(([k, v]) => `${k}: ${v}\r\n`)
    .join('')}\r\n`;
}

/** The headers of a WebSocket upgrade (a fixed key: the tests do not complete the handshake). */
export function upgradeHeaders(): Record<string, string> {
  return { Upgrade: 'websocket', Connection: 'Upgrade', 'Sec-WebSocket-Key': 'dGhlIHNhbXBsZSBub25jZQ==', 'Sec-WebSocket-Version': '13' };
}
