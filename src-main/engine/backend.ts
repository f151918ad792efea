/**
 * Backend selection: tensorflow (tfjs-node-gpu, then tfjs-node) > wasm > cpu. Each backend
 * skipped is reported with the reason, and the choice is reported everywhere (CLI JSON,
 * getBackendInfo, the UI's header).
 *
 * FLOWSTUDIO_BACKEND=tensorflow|wasm|cpu forces a backend (an error if it cannot start).
 */
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { setThreadsCount, setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import type { BackendInfo, BackendName } from '../../src-shared/protocol';
import { tf } from './tf';

const require = createRequire(import.meta.url);

interface Candidate {
  name: BackendName;
  pkg: string;
  gpu: boolean;
  /** Loads what the backend needs; throws with a readable reason when it cannot. */
  load(): Promise<void>;
}

/** Imports a package by a name held in a variable, so bundlers leave it to run time. */
async function importOptional(pkg: string): Promise<void> {
  await import(/* @vite-ignore */ pkg);
}

const candidates: Candidate[] = [
  { name: 'tensorflow', pkg: '@tensorflow/tfjs-node-gpu', gpu: true, load: () => importOptional('@tensorflow/tfjs-node-gpu') },
  { name: 'tensorflow', pkg: '@tensorflow/tfjs-node', gpu: false, load: () => importOptional('@tensorflow/tfjs-node') },
  {
    name: 'wasm',
    pkg: '@tensorflow/tfjs-backend-wasm',
    gpu: false,
    load: async () => {
      // In Node the .wasm binaries are read from the package folder; threads need blob:
      // worker URLs that Node lacks, so the single-threaded SIMD build is used.
      const dist = join(dirname(require.resolve('@tensorflow/tfjs-backend-wasm/package.json')), 'dist') + '/';
      setWasmPaths(dist);
      setThreadsCount(1);
    },
  },
  { name: 'cpu', pkg: '@tensorflow/tfjs-backend-cpu', gpu: false, load: async () => {} },
];

let current: Omit<BackendInfo, 'numTensors' | 'numBytes'> | null = null;

function shortReason(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error);
  const first = text.split('\n')[0] ?? text;
  if (/Cannot find (package|module)/.test(first)) return 'not installed';
  return first.length > 300 ? `${first.slice(0, 300)}...` : first;
}

/**
 * Picks and initialises the best backend. Idempotent: later calls return the first choice.
 * `forced` (or FLOWSTUDIO_BACKEND) restricts the choice to one backend name.
 */
export async function initBackend(forced: BackendName | undefined = envBackend()): Promise<BackendInfo> {
  if (current) return backendInfo();
  const skipped: { name: string; reason: string }[] = [];
  for (const candidate of candidates) {
    if (forced && candidate.name !== forced) {
      skipped.push({ name: candidate.pkg, reason: `FLOWSTUDIO_BACKEND=${forced}` });
      continue;
    }
    try {
      await candidate.load();
      const ok = await tf.setBackend(candidate.name);
      if (!ok) throw new Error(`tf.setBackend('${candidate.name}') failed`);
      await tf.ready();
      // A one-op smoke test: a backend that registers but cannot compute is no backend.
      const probe = tf.tidy(() => tf.sum(tf.mul(tf.tensor1d([1, 2, 3]), 2)));
      const value = (await probe.data())[0];
      probe.dispose();
      if (value !== 12) throw new Error(`smoke test computed ${value}, expected 12`);
      const why = forced
        ? `forced by FLOWSTUDIO_BACKEND=${forced}`
        : skipped.length === 0
          ? 'first choice'
          : `best available (${skipped.map((s) => s.name).join(', ')} unavailable)`;
      current = {
        active: candidate.name,
        package: candidate.pkg,
        reason: why,
        skipped,
        tfjsVersion: tf.version_core,
        gpu: candidate.gpu,
        ...(candidate.name === 'wasm'
          ? { simd: tf.env().getBool('WASM_HAS_SIMD_SUPPORT'), threads: 1 }
          : {}),
      };
      return backendInfo();
    } catch (error) {
      skipped.push({ name: candidate.pkg, reason: shortReason(error) });
    }
  }
  throw new Error(`no tfjs backend could start: ${skipped.map((s) => `${s.name}: ${s.reason}`).join('; ')}`);
}

export function backendInfo(): BackendInfo {
  if (!current) throw new Error('backend not initialised: call initBackend() first');
  const memory = tf.memory();
  return { ...current, numTensors: memory.numTensors, numBytes: memory.numBytes };
}

function envBackend(): BackendName | undefined {
  const value = process.env['FLOWSTUDIO_BACKEND'];
  if (value === undefined || value === '' || value === 'auto') return undefined;
  if (value === 'tensorflow' || value === 'wasm' || value === 'cpu') return value;
  throw new Error(`FLOWSTUDIO_BACKEND must be tensorflow, wasm, cpu or auto, got "${value}"`);
}
