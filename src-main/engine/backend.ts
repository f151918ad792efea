/**
 * Backend selection: tensorflow (tfjs-node-gpu, then tfjs-node) > webgpu > wasm > cpu. Each
 * backend skipped is reported with the reason, and the choice is reported everywhere (CLI's
 * first line, getBackendInfo, the UI's header).
 *
 * FLOWSTUDIO_BACKEND=tensorflow|webgpu|wasm|cpu forces a backend (an error if it cannot start);
 * forcing webgpu also accepts a software adapter, which auto mode skips (slower than wasm).
 * FLOWSTUDIO_THREADS sets the wasm thread count (default 1, measured: backends/wasm.ts; `all`: every core),
 * FLOWSTUDIO_WORKERS the data-parallel training workers on CPU backends (default every core: backends/workers.ts).
 *
 * The backend starts once per process: concurrent first callers share one start, and a start
 * that failed may be tried again by the next caller.
 */
import { type AdapterInfo, type BackendInfo, type BackendName } from '../../src-shared/protocol';
import { configureWasm, requestedThreads, settleWasmThreads } from './backends/wasm';
import { requestedWorkers } from './backends/workers';
import { explainSyncReads, loadWebgpu } from './backends/webgpu';
import { tf } from './tf';

interface Candidate {
  name: BackendName;
  pkg: string;
  gpu: boolean;
  /** Loads what the backend needs; throws with a readable reason when it cannot. */
  load(forced: boolean): Promise<void>;
}

export interface BackendOptions {
  /** wasm threads; default FLOWSTUDIO_THREADS, else DEFAULT_WASM_THREADS (1). */
  threads?: number;
  /** CPU backends' data-parallel training workers; default FLOWSTUDIO_WORKERS, else every core (backends/workers.ts). */
  workers?: number;
}

/** Imports a package by a name held in a variable, so bundlers leave it to run time. */
async function importOptional(pkg: string): Promise<void> {
  await import(/* @vite-ignore */ pkg);
}

let adapter: AdapterInfo | null = null;
let threads = 1;
let workers = 1;

const candidates: Candidate[] = [
  { name: 'tensorflow', pkg: '@tensorflow/tfjs-node-gpu', gpu: true, load: () => importOptional('@tensorflow/tfjs-node-gpu') },
  { name: 'tensorflow', pkg: '@tensorflow/tfjs-node', gpu: false, load: () => importOptional('@tensorflow/tfjs-node') },
  {
    name: 'webgpu',
    pkg: '@tensorflow/tfjs-backend-webgpu',
    gpu: true,
    load: async (forced) => {
      adapter = await loadWebgpu(forced);
    },
  },
  {
    name: 'wasm',
    pkg: '@tensorflow/tfjs-backend-wasm',
    gpu: false,
    load: async () => configureWasm(threads),
  },
  { name: 'cpu', pkg: '@tensorflow/tfjs-backend-cpu', gpu: false, load: async () => {} },
];

let current: Omit<BackendInfo, 'numTensors' | 'numBytes'> | null = null;
let starting: Promise<void> | null = null;

function shortReason(error: unknown): string {
  const text = error instanceof Error ? error.message : typeof error === 'object' && error && 'message' in error ? String(error.message) : String(error);
  const first = text.split('\n')[0] ?? text;
  if (/Cannot find (package|module)|Could not resolve/.test(first)) return 'not installed';
  return first.length > 300 ? `${first.slice(0, 300)}...` : first;
}

/** A one-op smoke test: a backend that registers but cannot compute is no backend. */
async function smokeTest(): Promise<void> {
  const probe = tf.tidy(() => tf.sum(tf.mul(tf.tensor1d([1, 2, 3]), 2)));
  const value = (await probe.data())[0];
  probe.dispose();
  if (value !== 12) throw new Error(`smoke test computed ${value}, expected 12`);
}

async function start(forced: BackendName | undefined): Promise<void> {
  const skipped: { name: string; reason: string }[] = [];
  for (const candidate of candidates) {
    if (forced && candidate.name !== forced) {
      skipped.push({ name: candidate.pkg, reason: `FLOWSTUDIO_BACKEND=${forced}` });
      continue;
    }
    try {
      await candidate.load(forced === candidate.name);
      const ok = await tf.setBackend(candidate.name);
      if (!ok) throw new Error(`tf.setBackend('${candidate.name}') failed`);
      await tf.ready();
      if (candidate.name === 'webgpu') explainSyncReads(tf.backend() as unknown as Parameters<typeof explainSyncReads>[0]);
      await smokeTest();
      const why = forced
        ? `forced by FLOWSTUDIO_BACKEND=${forced}`
        : skipped.length === 0
          ? 'first choice'
          : `best available (${skipped.map((s) => s.name).join(', ')} unavailable)`;
      const onAdapter = candidate.name === 'webgpu' ? adapter : null;
      current = {
        active: candidate.name,
        package: candidate.pkg,
        reason: why,
        skipped,
        tfjsVersion: tf.version_core,
        gpu: onAdapter ? !onAdapter.software : candidate.gpu,
        ...(onAdapter ? { adapter: onAdapter } : {}),
        ...(candidate.name === 'wasm' ? { simd: tf.env().getBool('WASM_HAS_SIMD_SUPPORT'), threads: settleWasmThreads() } : {}),
        ...(candidate.name === 'wasm' || candidate.name === 'cpu' ? { workers } : {}),
      };
      return;
    } catch (error) {
      skipped.push({ name: candidate.pkg, reason: shortReason(error) });
    }
  }
  throw new Error(`no tfjs backend could start: ${skipped.map((s) => `${s.name}: ${s.reason}`).join('; ')}`);
}

/**
 * Picks and initialises the best backend. Idempotent: later calls (and calls made while the
 * first is still starting) get the first choice. `forced` (or FLOWSTUDIO_BACKEND) restricts
 * the choice to one backend name.
 */
export async function initBackend(forced: BackendName | undefined = envBackend(), options: BackendOptions = {}): Promise<BackendInfo> {
  if (current) return backendInfo();
  if (!starting) {
    threads = options.threads ?? requestedThreads();
    workers = options.workers ?? requestedWorkers();
    starting = start(forced).catch((error: unknown) => {
      starting = null; // the next caller may try again
      throw error;
    });
  }
  await starting;
  return backendInfo();
}

export function backendInfo(): BackendInfo {
  if (!current) throw new Error('backend not initialised: call initBackend() first');
  const memory = tf.memory();
  return { ...current, numTensors: memory.numTensors, numBytes: memory.numBytes };
}

/** "webgpu on GPU: NVIDIA H200 (nvidia hopper) (@tensorflow/tfjs-backend-webgpu; first choice)". */
export { backendSummary } from '../../src-shared/protocol';

const NAMES: readonly BackendName[] = ['tensorflow', 'webgpu', 'wasm', 'cpu'];

function envBackend(): BackendName | undefined {
  const value = process.env['FLOWSTUDIO_BACKEND'];
  if (value === undefined || value === '' || value === 'auto') return undefined;
  if ((NAMES as readonly string[]).includes(value)) return value as BackendName;
  throw new Error(`FLOWSTUDIO_BACKEND must be tensorflow, webgpu, wasm, cpu or auto, got "${value}"`);
}
