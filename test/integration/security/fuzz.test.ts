/**
 * Fuzz of serve mode: a real server on 127.0.0.1, a real engine process, a real WebSocket.
 * Seeded (FLOWSTUDIO_FUZZ_SEED) and bounded: every valid frame of a set of templates mutated
 * field by field (wrong types, huge numbers, deep nesting, unicode, traversal strings, missing
 * fields), random JSON values, corrupted JSON text, oversized and binary frames, then malformed
 * HTTP request targets over raw TCP. Every frame gets a response (a result or an error naming
 * a known code), or the documented close (1009 above the hard size limit, 1007 for text that is
 * not UTF-8); afterwards the same engine answers health, on the backend it chose first.
 *
 * The runs folder is a file here, so no mutated startTraining can ever start a run.
 */
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ErrorCodeSchema, MAX_REQUEST_BYTES } from '../../../src-shared/protocol';
import { type NodeHost, createNodeHost } from '../../../src-main/host/nodeHost';
import { type RunningServer, startServer } from '../../../src-main/host/serve';
import { rawRequest, statusOf, upgradeHeaders } from '../../helpers/rawHttp';
import { type TestClient, connect } from '../../helpers/wsClient';
import { rng } from '../../helpers/random';

const SEED = Number(process.env['FLOWSTUDIO_FUZZ_SEED'] ?? 20_250_601);
const RANDOM_FRAMES = 600;
const TEXT_MUTATIONS = 400;
const HTTP_PROBES = 240;
const CODES = new Set<string>(ErrorCodeSchema.options);

const random = rng(SEED);
const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)]!;
const int = (n: number): number => Math.floor(random() * n);

function deep(depth: number): unknown {
  let value: unknown = 0;
  for (let i = 0; i < depth; i++) value = [value];
  return value;
}

let host: NodeHost;
let server: RunningServer;
let base: string;
let dataRoot: string;

beforeAll(async () => {
  base = mkdtempSync(join(tmpdir(), 'flowstudio-fuzz-'));
  dataRoot = join(base, 'data');
  mkdirSync(join(dataRoot, 'empty'), { recursive: true });
  const runsFile = join(base, 'runs-is-a-file');
  writeFileSync(runsFile, 'not a folder');
  const env: NodeJS.ProcessEnv = { ...process.env, FLOWSTUDIO_RUNS: runsFile, FLOWSTUDIO_CACHE_DIR: join(base, 'cache') };
  delete env['FLOWSTUDIO_BACKEND']; // the engine picks its own first choice
  host = createNodeHost('serve', { env, dataRoots: [dataRoot] });
  const staticDir = join(base, 'static');
  mkdirSync(staticDir);
  writeFileSync(join(staticDir, 'index.html'), '<!doctype html>');
  server = await startServer({ router: host.router, staticDir, token: 'fuzz-token' });
});

afterAll(async () => {
  await server?.close();
  host?.close();
});

const wsUrl = (): string => `ws://127.0.0.1:${server.port}/ws?token=fuzz-token`;

/** Valid requests of every command but restartEngine (which replaces the engine by design). */
function templates(): Record<string, unknown>[] {
  const run = { runDir: join(base, 'runs-is-a-file', 'r') };
  const image = { data: 'toy:rings?n=64', split: 'train', index: 0 };
  const args: [string, unknown][] = [
    ['ping', { nonce: 'n' }],
    ['getBackendInfo', {}],
    ['health', {}],
    ['getHostInfo', {}],
    ['pickPath', { kind: 'folder', title: 't' }],
    ['datasetInfo', { data: 'toy:two-moons?n=256', examples: 2 }],
    ['datasetInfo', { data: `folder:${join(dataRoot, 'empty')}` }],
    ['datasetImage', { data: 'toy:rings?n=64', split: 'test', index: 1 }],
    ['startTraining', { preset: 'toy2d', runDir: join(base, 'runs-is-a-file', 'new'), overrides: { data: 'toy:rings?n=256', train: { steps: 3 } } }],
    ['startTraining', { preset: 'toy2d', runDir: run.runDir, resume: true }],
    ['controlTraining', { runId: 'run-1-x', action: 'pause' }],
    ['listRuns', {}],
    ['openRun', { run, maxPoints: 100 }],
    ['sample', { run, n: 2, temperature: 0.8, seed: 1 }],
    ['perturb', { run: { runId: 'r' }, image, levels: [{ keep: true, temperature: 1 }], seed: 0 }],
    ['perturbGrid', { run, image, temperature: 0.5, seed: 2 }],
    ['interpolate', { run, a: image, b: { file: join(dataRoot, 'x.png') }, steps: 3 }],
    ['bounds', { data: 'toy:8gaussians?n=256', split: 'test', heldOut: true }],
    ['lipschitz', { run, iterations: 2 }],
    ['toyDensity', { run, resolution: 16, extent: 3 }],
    ['toyLayers', { run: { runId: 'x' }, n: 16 }],
  ];
  return args.map(([command, a], i) => ({ v: 1, type: 'request', id: 1000 + i, command, args: a }));
}

const NASTY: unknown[] = [
  null, true, false, 0, -1, 1.5, 1e308, -1e308, 2 ** 53 + 2, 1e21, -0,
  '', ' ', 'x'.repeat(5000), '\u0000', 'a\u0000b', '\ud800', '💥🌊𝔘', '\u202eevil', 'ｆｕｌｌ',
  '../../../../etc/passwd', '%2e%2e%2f%2e%2e%2fetc', '/etc/passwd', '~', 'toy:', 'folder:/', 'folder:/proc/self',
  [], [1, 2, 3], {}, { toString: 1 }, { valueOf: 'x' }, 'constructor', '__proto__', deep(40),
  new Array(2000).fill('a'), { [`k${'y'.repeat(100)}`]: 1 },
];

/** Paths to every value inside a frame (object keys and array indices). */
function fieldPaths(value: unknown, prefix: (string | number)[] = []): (string | number)[][] {
  const out: (string | number)[][] = [];
  if (typeof value === 'object' && value !== null) {
    for (const [key, child] of Object.entries(value)) {
      const path = [...prefix, Array.isArray(value) ? Number(key) : key];
      out.push(path, ...fieldPaths(child, path));
    }
  }
  return out;
}

function withField(frame: unknown, path: (string | number)[], value: unknown, remove = false): unknown {
  const copy = structuredClone(frame) as Record<string | number, unknown>;
  let node = copy;
  for (const key of path.slice(0, -1)) node = node[key] as Record<string | number, unknown>;
  const last = path[path.length - 1]!;
  if (remove) delete node[last];
  else node[last] = value;
  return copy;
}

function randomValue(depth = 0): unknown {
  const kind = int(depth > 4 ? 6 : 9);
  switch (kind) {
    case 0: return null;
    case 1: return random() < 0.5;
    case 2: return (random() - 0.5) * 10 ** int(30);
    case 3: return int(100);
    case 4: return String.fromCodePoint(...Array.from({ length: int(12) }, () => int(0x2ffff)).filter((c) => c < 0xd800 || c > 0xdfff));
    case 5: return pick(NASTY);
    case 6: return Array.from({ length: int(5) }, () => randomValue(depth + 1));
    default: return Object.fromEntries(Array.from({ length: int(5) }, () => [pick(['v', 'type', 'id', 'command', 'args', 'run', 'data', 'runDir', 'x']), randomValue(depth + 1)]));
  }
}

/** A frame to send: JSON text, or bytes for a binary frame. */
interface Probe {
  text: string | Buffer;
  binary: boolean;
}

/** The id a frame carries, if its text parses to an object with one (a reply may echo only that). */
function idIn(probe: Probe): unknown {
  if (probe.binary) return undefined;
  try {
    return (JSON.parse(String(probe.text)) as { id?: unknown } | null)?.id;
  } catch {
    return undefined;
  }
}

function frames(): Probe[] {
  const probes: Probe[] = [];
  const add = (value: unknown): void => {
    const text = JSON.stringify(value) ?? 'undefined';
    probes.push({ text, binary: false });
  };
  const names = [...new Set(templates().map((t) => t['command'] as string)), 'restartengine', 'formatDisk', ''];
  for (const template of templates()) {
    add(template);
    for (const path of fieldPaths(template)) {
      add(withField(template, path, undefined, true));
      for (const value of NASTY) add(withField(template, path, value));
      if (path[0] === 'command') for (const name of names) add(withField(template, path, name));
    }
    add({ ...template, extra: 1 });
  }
  for (let i = 0; i < RANDOM_FRAMES; i++) add(random() < 0.5 ? randomValue() : { ...pick(templates()), args: randomValue() });
  for (let i = 0; i < TEXT_MUTATIONS; i++) {
    const text = JSON.stringify(pick(templates()));
    const at = int(text.length);
    const mutated = pick([
      () => text.slice(0, at),
      () => text.slice(0, at) + String.fromCharCode(int(128)) + text.slice(at + 1),
      () => text.slice(0, at) + pick(['{', '[', '"', '\\', ',', ':', '\u0000', '\ud83d']) + text.slice(at),
      () => text.replace(/"v":1/, `"v":${pick(['2', '"1"', '[[[1]]]', '{"toString":0}', '1e400', '-0', 'null'])}`),
    ])();
    probes.push({ text: mutated, binary: false });
  }
  // Deep and big in any field, within the size limits: each gets a named error.
  const deepText = `${'['.repeat(100_000)}0${']'.repeat(100_000)}`;
  for (const field of ['v', 'id', 'command', 'args', 'type']) {
    // JSON.stringify itself overflows on 100 000 levels: splice the text in.
    const text = JSON.stringify({ ...templates()[0], [field]: '@deep@' }).replace('"@deep@"', deepText);
    probes.push({ text, binary: false });
    add({ ...templates()[0], [field]: new Array(120_000).fill(0) });
  }
  add({ v: 1, type: 'request', id: 5, command: 'ping', args: { nonce: 'y'.repeat(MAX_REQUEST_BYTES) } });
  for (let i = 0; i < 40; i++) probes.push({ text: Buffer.from(Array.from({ length: int(64) + 1 }, () => int(256))), binary: true });
  // Shuffle (seeded) so each kind of frame meets an engine in every state.
  for (let i = probes.length - 1; i > 0; i--) {
    const j = int(i + 1);
    [probes[i], probes[j]] = [probes[j]!, probes[i]!];
  }
  return probes;
}

/** A reply is a response frame with a boolean ok and, when not ok, a known code and a message. */
function checkReply(probe: Probe, reply: Record<string, unknown>, where: string): string {
  expect(reply['type'], where).toBe('response');
  expect(reply['v'], where).toBe(1);
  expect(typeof reply['ok'], where).toBe('boolean');
  if (reply['id'] !== null) expect(reply['id'], where).toBe(idIn(probe));
  if (reply['ok']) return 'ok';
  const error = reply['error'] as { code: string; message: string };
  expect(CODES.has(error.code), `${where}: code ${error.code}`).toBe(true);
  expect(error.message.length, where).toBeGreaterThan(0);
  expect(error.message.length, where).toBeLessThan(20_000);
  expect(error.message, where).not.toMatch(/call stack|convert object to primitive|Cannot read properties/);
  return error.code;
}

function httpProbe(port: number): string {
  const targets = ['//[', 'http://[', '/ws', '/%', '/%zz', '/..%2f..%2f', '*', '', '/\u00ff', `/${'a'.repeat(9000)}`, `/?${'q'.repeat(70_000)}`, '/index.html', '/ws?token=wrong', '//ws'];
  const target = random() < 0.5 ? pick(targets) : `/${Array.from({ length: int(40) }, () => String.fromCharCode(0x21 + int(0x5e))).join('')}`;
  const method = pick(['GET', 'GET', 'HEAD', 'POST', 'OPTIONS', 'BREW', 'G\u0000T', '']);
  const version = pick(['HTTP/1.1', 'HTTP/1.1', 'HTTP/1.0', 'HTTP/2.0', 'HTTP/9', 'HTTX/1.1', '']);
  const headers: Record<string, string> = { Connection: 'close' };
  if (random() < 0.8) headers['Host'] = pick([`127.0.0.1:${port}`, `evil.example:${port}`, '', `localhost:${port}`, '[']);
  if (random() < 0.4) Object.assign(headers, upgradeHeaders());
  if (random() < 0.3) headers['Origin'] = pick(['http://evil.example', 'null', `http://127.0.0.1:${port}`, '\u0001']);
  const lines = Object.entries(headers).map(([k, v]) => `${k}: ${v}\r\n`);
  if (random() < 0.1) lines.push('garbage without colon\r\n');
  return `${method} ${target} ${version}\r\n${lines.join('')}\r\n`;
}

describe(`serve-mode fuzz (seed ${SEED})`, () => {
  it('answers every frame and every HTTP request, and the engine serves on afterwards', async () => {
    const started = Date.now();
    let client: TestClient = await connect(wsUrl());
    const backendBefore = (await client.request('getBackendInfo', {}))['result'] as { active: string; reason: string };
    const healthBefore = (await client.request('health', {}))['result'] as { pid: number };

    const probes = frames();
    expect(probes.length).toBeGreaterThanOrEqual(5000);
    const outcomes = new Map<string, number>();
    for (const [i, probe] of probes.entries()) {
      const where = `seed ${SEED}, frame ${i}: ${String(probe.text).slice(0, 120)}`;
      const reply = await client.sendRaw(probe.text, probe.binary);
      const outcome = checkReply(probe, reply, where);
      outcomes.set(outcome, (outcomes.get(outcome) ?? 0) + 1);
    }

    // The documented closes: above the hard size limit (1009), text that is not UTF-8 (1007).
    for (const [payload, code] of [
      ['z'.repeat(16 * MAX_REQUEST_BYTES + 1), 1009],
      [Buffer.from([0x7b, 0xff, 0xfe, 0x7d]), 1007],
    ] as const) {
      const closed = new Promise<number>((resolve) => client.ws.once('close', (c) => resolve(c)));
      client.ws.send(payload, { binary: false });
      expect(await closed).toBe(code);
      client = await connect(wsUrl());
    }

    // Many requests in flight at once all come back.
    const burst = await Promise.all(Array.from({ length: 64 }, (_, i) => client.request('ping', { nonce: `b${i}` })));
    expect(new Set(burst.map((r) => (r['result'] as { nonce: string }).nonce)).size).toBe(64);

    // Malformed HTTP over raw TCP, 16 sockets at a time.
    const statuses = new Map<number, number>();
    for (let i = 0; i < HTTP_PROBES; i += 16) {
      const batch = Array.from({ length: Math.min(16, HTTP_PROBES - i) }, () => httpProbe(server.port));
      const responses = await Promise.all(batch.map((request) => rawRequest(server.port, request, 3000)));
      for (const [j, response] of responses.entries()) {
        const status = statusOf(response);
        expect(status, `seed ${SEED}, HTTP probe ${i + j}: ${JSON.stringify(batch[j]!.slice(0, 200))}`).not.toBeNull();
        expect(status!, `HTTP probe ${i + j}`).toBeLessThan(500);
        statuses.set(status!, (statuses.get(status!) ?? 0) + 1);
      }
    }

    // Still the same engine, on its first choice of backend, with nothing left hanging.
    const health = (await client.request('health', {}))['result'] as { pid: number; backend: { active: string; reason: string }; pendingRequests: number };
    expect(health.pid).toBe(healthBefore.pid);
    expect(health.backend).toEqual({ active: backendBefore.active, reason: backendBefore.reason });
    expect(health.pendingRequests).toBe(0);
    expect(((await client.request('getHostInfo', {}))['result'] as { engineRestarts: number }).engineRestarts).toBe(0);
    expect((await fetch(`http://127.0.0.1:${server.port}/`)).status).toBe(200);
    client.close();
    console.log(
      `fuzz seed ${SEED}: ${probes.length} frames in ${((Date.now() - started) / 1000).toFixed(1)} s, backend ${health.backend.active};`,
      `replies ${JSON.stringify(Object.fromEntries(outcomes))}; HTTP ${JSON.stringify(Object.fromEntries(statuses))}`,
    );
  });
});
