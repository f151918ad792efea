/**
 * Serve mode against hostile HTTP: malformed request targets (which used to kill the server
 * with one unauthenticated request), DNS-rebinding Host/Origin pairs, traversal through `../`,
 * `%2e%2e`, encoded slashes, absolute paths and symlinks out of the renderer folder. A real
 * server on 127.0.0.1, raw TCP sockets, a real engine behind it.
 */
import { mkdirSync, mkdtempSync, symlinkSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type NodeHost, createNodeHost } from '../../../src-main/host/nodeHost';
import { CONTENT_SECURITY_POLICY } from '../../../src-main/host/csp';
import { type RunningServer, startServer } from '../../../src-main/host/serve';
import { getRequest, rawRequest, statusOf, upgradeHeaders } from '../../helpers/rawHttp';
import { connect } from '../../helpers/wsClient';

const SECRET = 'TOP-SECRET-flowstudio-test-content';
let host: NodeHost;
let server: RunningServer;
let staticDir: string;
let outside: string;

beforeAll(async () => {
  staticDir = mkdtempSync(join(tmpdir(), 'flowstudio-static-'));
  outside = mkdtempSync(join(tmpdir(), 'flowstudio-outside-'));
  writeFileSync(join(staticDir, 'index.html'), '<!doctype html><title>studio</title>');
  mkdirSync(join(staticDir, 'assets'));
  writeFileSync(join(staticDir, 'assets', 'app.js'), 'console.log(1)');
  writeFileSync(join(outside, 'secret.txt'), SECRET);
  symlinkSync(join(outside, 'secret.txt'), join(staticDir, 'leak.txt'));
  symlinkSync(outside, join(staticDir, 'linked'));
  host = createNodeHost('serve', { env: { ...process.env, FLOWSTUDIO_BACKEND: 'cpu' } });
  server = await startServer({ router: host.router, staticDir, token: 'http-test-token' });
});

afterAll(async () => {
  await server?.close();
  host?.close();
});

async function stillServing(): Promise<void> {
  const index = await fetch(`http://127.0.0.1:${server.port}/`);
  expect(index.status).toBe(200);
  const client = await connect(`ws://127.0.0.1:${server.port}/ws?token=http-test-token`);
  expect(await client.request('ping', { nonce: 'alive' })).toMatchObject({ ok: true, result: { nonce: 'alive' } });
  client.close();
}

/** GET with a chosen Host header (fetch does not let a caller set one). */
function getWithHost(hostHeader: string, headers: Record<string, string> = {}): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port: server.port, path: '/', headers: { Host: hostHeader, ...headers } }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('error', reject);
    req.end();
  });
}

describe('malformed request targets', () => {
  it('answers each with 400 and keeps serving (no target, however broken, stops the server)', async () => {
    const port = server.port;
    const upgrade = upgradeHeaders();
    // [probe, request, status]: `//[` is a path (a file named "[" that does not exist), never a host.
    const probes: [string, string, number][] = [
      ['GET //[ plain', getRequest(port, '//['), 404],
      ['GET http://[ plain', getRequest(port, 'http://['), 400],
      ['GET //[ upgrade', getRequest(port, '//[', upgrade), 403],
      ['GET //[ upgrade with token', getRequest(port, '//[?token=http-test-token', upgrade), 403],
      ['GET http://[ upgrade', getRequest(port, 'http://[/ws?token=http-test-token', upgrade), 400],
      ['asterisk target', getRequest(port, '*'), 400],
      ['asterisk upgrade', getRequest(port, '*', upgrade), 400],
      ['bad percent escape', getRequest(port, '/%zz'), 400],
      ['garbage request line', '\u0001\u0002 nonsense\r\n\r\n', 400],
      ['bad header line', `GET / HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nno colon here\r\n\r\n`, 400],
    ];
    for (const [name, text, status] of probes) {
      const response = await rawRequest(port, text);
      expect(statusOf(response), name).toBe(status);
    }
    await stillServing();
  });

  it('answers a plain GET of the WebSocket endpoint with 426, not a file', async () => {
    expect(statusOf(await rawRequest(server.port, getRequest(server.port, '/ws')))).toBe(426);
  });
});

describe('who may connect', () => {
  it('refuses a DNS-rebinding page: Host and Origin both naming another site', async () => {
    const port = server.port;
    const evil = `evil.example:${port}`;
    const ws = `/ws?token=http-test-token`;
    const rebinding = await rawRequest(port, getRequest(port, ws, { ...upgradeHeaders(), Host: evil, Origin: `http://${evil}` }));
    expect(statusOf(rebinding)).toBe(403);
    await expect(connect(`ws://127.0.0.1:${port}${ws}`, { Host: evil, Origin: `http://${evil}` })).rejects.toThrow(/403/);
    expect(await getWithHost(evil)).toBe(403);
    expect(await getWithHost(`127.0.0.1:${port}`, { Origin: `http://${evil}` })).toBe(403);
    // The server's own names pass, with or without an Origin.
    for (const own of [`127.0.0.1:${port}`, `localhost:${port}`]) {
      expect(await getWithHost(own)).toBe(200);
      expect(await getWithHost(own, { Origin: `http://${own}` })).toBe(200);
      const client = await connect(`ws://127.0.0.1:${port}${ws}`, { Host: own, Origin: `http://${own}` });
      client.close();
    }
    // Another port of the same host is another origin.
    expect(await getWithHost(`127.0.0.1:${port + 1}`)).toBe(403);
  });

  it('needs the token on the WebSocket, the only route that carries data', async () => {
    for (const target of ['/ws', '/ws?token=', '/ws?token=http-test-tokeN', '/ws?token=http-test-token-longer', '/ws/?token=http-test-token']) {
      expect(statusOf(await rawRequest(server.port, getRequest(server.port, target, upgradeHeaders()))), target).toBe(403);
    }
  });

  it('binds loopback addresses only, unless remote clients are explicitly allowed', async () => {
    await expect(startServer({ router: host.router, staticDir, host: '0.0.0.0' })).rejects.toThrow(/not a loopback address.*--allow-remote/);
    const remote = await startServer({ router: host.router, staticDir, host: '0.0.0.0', allowRemote: true, token: 't' });
    expect(remote.url).toBe(`http://127.0.0.1:${remote.port}/?token=t`);
    await remote.close();
  });
});

describe('static files', () => {
  it('serves the renderer with the one CSP and security headers', async () => {
    const index = await fetch(`http://127.0.0.1:${server.port}/`);
    expect(index.headers.get('content-security-policy')).toBe(CONTENT_SECURITY_POLICY);
    expect(index.headers.get('x-content-type-options')).toBe('nosniff');
    const asset = await fetch(`http://127.0.0.1:${server.port}/assets/app.js`);
    expect(asset.status).toBe(200);
    expect(await asset.text()).toBe('console.log(1)');
  });

  it('never serves a file outside the renderer folder', async () => {
    const port = server.port;
    const sibling = basename(outside);
    const targets = [
      `/../${sibling}/secret.txt`,
      `/%2e%2e/${sibling}/secret.txt`,
      `/%2E%2E/${sibling}/secret.txt`,
      `/..%2f${sibling}%2fsecret.txt`,
      `/%2e%2e%2f${sibling}%2fsecret.txt`,
      `/assets/..%2f..%2f${sibling}%2fsecret.txt`,
      `/..\\${sibling}\\secret.txt`,
      `//${outside}/secret.txt`,
      `/${encodeURIComponent(join(outside, 'secret.txt'))}`,
      '/etc/passwd',
      '/leak.txt',
      '/linked/secret.txt',
      '/linked/',
    ];
    for (const target of targets) {
      const response = await rawRequest(port, getRequest(port, target));
      expect([403, 404], target).toContain(statusOf(response));
      expect(response, target).not.toContain(SECRET);
    }
    const nul = await rawRequest(port, getRequest(port, '/index.html%00.js'));
    expect(statusOf(nul)).toBe(400);
    expect(nul).toContain('NUL byte');
    await stillServing();
  });
});
