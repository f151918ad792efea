/**
 * Who may talk to a serve-mode server. A request passes only when its Host header names this
 * server (127.0.0.1:PORT, localhost:PORT, [::1]:PORT, or the address given with --host), and,
 * when a browser sends an Origin, that origin is one of the same. The request's own Host is
 * never trusted as the reference: a DNS-rebinding page sends Host and Origin both
 * `evil.example:PORT`, and must be refused. The per-run token is checked separately.
 */
import { timingSafeEqual } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import { hostname, networkInterfaces } from 'node:os';

/** 127.0.0.0/8, ::1 and localhost: addresses only this machine can reach. */
export function isLoopbackHost(host: string): boolean {
  const h = host.toLowerCase().replace(/^\[|\]$/g, '');
  return h === 'localhost' || h === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(h);
}

function isWildcard(host: string): boolean {
  return host === '0.0.0.0' || host === '::' || host === '[::]';
}

/** `host:port` as it appears in a Host header (IPv6 in brackets), lower case. */
export function authority(host: string, port: number): string {
  const h = host.toLowerCase().replace(/^\[|\]$/g, '');
  return h.includes(':') ? `[${h}]:${port}` : `${h}:${port}`;
}

/**
 * The authorities (Host header values) this server answers to. A wildcard bind (0.0.0.0, ::)
 * adds the machine's own interface addresses and host name: how remote browsers reach it.
 */
export function ownAuthorities(boundHost: string, port: number): Set<string> {
  const names = ['127.0.0.1', 'localhost', '::1'];
  if (isWildcard(boundHost)) {
    names.push(hostname());
    for (const list of Object.values(networkInterfaces())) for (const nic of list ?? []) names.push(nic.address);
  } else {
    names.push(boundHost);
  }
  return new Set(names.map((name) => authority(name, port)));
}

export type GuardVerdict = { ok: true } | { ok: false; status: number; reason: string };

/** Checks the Host and Origin headers of a request against this server's own authorities. */
export function checkHostAndOrigin(headers: IncomingHttpHeaders, allowed: Set<string>): GuardVerdict {
  const host = headers.host?.toLowerCase();
  if (host === undefined || !allowed.has(host)) {
    return { ok: false, status: 403, reason: 'this server answers only to its own address (Host header refused)' };
  }
  const origin = headers.origin;
  if (origin !== undefined) {
    const match = /^http:\/\/([^/]+)$/i.exec(origin);
    if (!match?.[1] || !allowed.has(match[1].toLowerCase())) {
      return { ok: false, status: 403, reason: 'cross-origin requests are refused (Origin header)' };
    }
  }
  return { ok: true };
}

/** Constant-time comparison of the presented token with the server's. */
export function tokenMatches(given: string | null, expected: string): boolean {
  if (given === null) return false;
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

/**
 * Parses a request target (`/path?query`). Only origin-form targets are accepted; anything
 * else (`//[`, `http://[`, `*`, garbage) is null, which the caller answers with 400. The target
 * is appended to a fixed origin, so `//host/...` stays a path and never names another host.
 */
export function parseTarget(target: string | undefined): URL | null {
  if (target === undefined || !target.startsWith('/')) return null;
  try {
    return new URL(`http://flowstudio.invalid${target}`);
  } catch {
    return null;
  }
}
