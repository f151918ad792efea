/**
 * The wasm backend's setup in Node: where its binaries are, and how many threads it runs.
 *
 * One thread: the single-threaded SIMD build. More: the threaded SIMD build, whose pthreads are
 * Node worker threads. tfjs disables threads in Node (it hands Emscripten a blob: URL for the
 * worker, which Node's Worker refuses); patches/@tensorflow+tfjs-backend-wasm+*.patch gives the
 * workers real files, so here the multithread flag is turned on. XNNPACK's pool holds at most
 * 8 threads (tfjs pre-creates 8 workers), so a larger request runs on 8.
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { availableParallelism } from 'node:os';
import { dirname, join } from 'node:path';
import { getThreadsCount, setThreadsCount, setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import { tf } from '../tf';

const require = createRequire(import.meta.url);

/** tfjs-backend-wasm pre-creates this many pthread workers: the most threads it can run. */
export const MAX_WASM_THREADS = 8;

/**
 * The thread count when none is asked for: 1, because the cores go to data-parallel training
 * workers (backends/workers.ts), one thread each. Measured on 2 cores (bench/RESULTS.md): idle,
 * 2 threads in one process gain nothing at batch 16 and 20 % at batch 64 for fashion-mnist-small,
 * where 2 workers gain 18 % and 76 %; loaded (load 8–10), 2 threads made a step 2.5× slower at
 * batch 16 and a sampler preview 10× slower (527 ms against 49 ms): XNNPACK's pool waits at every
 * kernel for threads other processes hold, and the step is mostly small kernels whose dispatch
 * is single-threaded anyway (bench/profileStep.ts). `FLOWSTUDIO_THREADS=N` (CLI: `--threads N`)
 * opts into N threads.
 */
export const DEFAULT_WASM_THREADS = 1;

/** FLOWSTUDIO_THREADS (a whole number ≥ 1; `all` for every core this process may use), else DEFAULT_WASM_THREADS. */
export function requestedThreads(value: string | undefined = process.env['FLOWSTUDIO_THREADS']): number {
  if (value === undefined || value.trim() === '') return DEFAULT_WASM_THREADS;
  if (value.trim() === 'all') return availableParallelism();
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new Error(`FLOWSTUDIO_THREADS must be a whole number ≥ 1 or "all", got "${value}"`);
  return n;
}

/** The worker entry file the patch adds to the package. */
const PATCHED_WORKER = 'tfjs-backend-wasm-threaded-simd.node-worker.js';

let configured: number | null = null;

/** Points tfjs at the .wasm files and sets the thread count; call before setBackend('wasm'). */
export function configureWasm(threads: number): void {
  if (configured !== null) return; // tfjs refuses a second setWasmPaths once initialised
  const root = dirname(require.resolve('@tensorflow/tfjs-backend-wasm/package.json'));
  setWasmPaths(join(root, 'dist') + '/');
  // Without the patch (an install that skipped postinstall) a pthread worker cannot load and
  // takes the process down with it: stay on one thread then.
  const patched = existsSync(join(root, 'wasm-out', PATCHED_WORKER));
  const count = patched ? Math.min(threads, MAX_WASM_THREADS) : 1;
  tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', count > 1);
  setThreadsCount(count);
  configured = count;
}

interface PthreadWorker {
  unref(): void;
}
interface WasmModuleWithThreads {
  PThread?: { runningWorkers: PthreadWorker[]; unusedWorkers: PthreadWorker[] };
}

/**
 * After the backend started: XNNPACK's pool threads wait for work forever, and Emscripten keeps
 * their workers referenced, which would keep Node from exiting; unreference them. Returns the
 * thread count XNNPACK actually runs.
 */
export function settleWasmThreads(): number {
  const backend = tf.backend() as unknown as { wasm?: WasmModuleWithThreads };
  const pthread = backend.wasm?.PThread;
  if (pthread) for (const worker of [...pthread.runningWorkers, ...pthread.unusedWorkers]) worker.unref();
  return getThreadsCount();
}
