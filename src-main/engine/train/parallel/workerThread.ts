/**
 * One gradient worker thread seen from the coordinator: starts engine/gradientWorker (the built
 * out/main/gradientWorker.js, or the TypeScript source through tsx when this code runs from
 * source: tests, dev, bench), sends it requests and matches answers to them. A worker that
 * dies or errors fails every request in flight with what happened, and every later one.
 *
 * In a packaged app the entry is inside app.asar: Electron loads worker scripts from asar since
 * v17/18 (electron/electron#33216).
 */
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { FromWorker, ToWorker } from './workerMessages';

const require = createRequire(import.meta.url);

/**
 * tsx's ESM `register` entry, by the package's own exports map: `require.resolve` would give its
 * CommonJS build, which cannot register the ESM loader inside a worker.
 */
function tsxEsmApi(): string {
  const manifest = require.resolve('tsx/package.json');
  const exports = (JSON.parse(readFileSync(manifest, 'utf8')) as { exports: Record<string, { import?: { default?: string } }> }).exports;
  const entry = exports['./esm/api']?.import?.default;
  if (!entry) throw new Error(`${manifest} has no ESM "./esm/api" export: the gradient worker cannot run from source`);
  return pathToFileURL(join(dirname(manifest), entry)).href;
}

type Answer = Exclude<FromWorker, { type: 'error' }>;

function spawnGradientWorker(): Worker {
  const here = fileURLToPath(import.meta.url);
  if (here.endsWith('.ts')) {
    const entry = pathToFileURL(resolve(dirname(here), '../../gradientWorker.ts')).href;
    const tsx = tsxEsmApi();
    return new Worker(`import(${JSON.stringify(tsx)}).then(({ register }) => { register(); return import(${JSON.stringify(entry)}); });`, { eval: true });
  }
  // This code sits in out/main/engine.js or in a chunk below out/main.
  const built = [join(dirname(here), 'gradientWorker.js'), join(dirname(here), '..', 'gradientWorker.js')].find((path) => existsSync(path));
  if (!built) throw new Error(`the gradient worker entry (gradientWorker.js) is missing next to ${here}: rebuild the app (npm run build)`);
  return new Worker(built);
}

export class WorkerThread {
  private readonly worker: Worker;
  /** Requests in flight by id; `null` is the init request. */
  private readonly pending = new Map<number | null, { resolve(answer: Answer): void; reject(error: Error): void }>();
  private deadReason: string | null = null;

  constructor(readonly index: number) {
    this.worker = spawnGradientWorker();
    this.worker.on('message', (message: FromWorker) => this.onMessage(message));
    this.worker.on('error', (error) => this.fail(`gradient worker ${index} failed: ${error.message}`));
    this.worker.on('exit', (code) => this.fail(`gradient worker ${index} exited (code ${code})`));
    // An idle worker must not keep the process alive; one with a request in flight must (the
    // process may have nothing else to wait for): `hold` refs it while requests are pending.
    this.worker.unref();
  }

  get dead(): string | null {
    return this.deadReason;
  }

  /** Sends a request and resolves with its answer (the init request answers `ready`). */
  request(message: ToWorker): Promise<Answer> {
    if (this.deadReason) return Promise.reject(new Error(this.deadReason));
    const id = message.type === 'step' ? message.id : null;
    return new Promise<Answer>((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.hold();
      this.worker.postMessage(message);
    });
  }

  async terminate(): Promise<void> {
    this.deadReason ??= `gradient worker ${this.index} was stopped`;
    await this.worker.terminate();
  }

  private onMessage(message: FromWorker): void {
    const id = message.type === 'ready' ? null : message.id;
    const waiting = this.pending.get(id);
    if (!waiting) return; // an answer nobody waits for (its request already failed)
    this.pending.delete(id);
    this.hold();
    if (message.type === 'error') waiting.reject(new Error(`gradient worker ${this.index}: ${message.message}`));
    else waiting.resolve(message);
  }

  private fail(reason: string): void {
    this.deadReason ??= reason;
    for (const waiting of this.pending.values()) waiting.reject(new Error(reason));
    this.pending.clear();
  }

  private hold(): void {
    if (this.pending.size > 0) this.worker.ref();
    else this.worker.unref();
  }
}
