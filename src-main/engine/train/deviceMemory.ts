/**
 * How much memory a training step may use on the active tfjs backend, for the memory planner
 * (memoryCheck.ts). Each backend says what it can:
 * - wasm: its 32-bit heap (at most 4 GiB, less the tensors already alive there), and never more
 *   than the system's available memory;
 * - webgpu: the adapter's per-buffer limits (maxStorageBufferBindingSize, maxBufferSize); WebGPU
 *   reports no device memory size, so the total is NVIDIA's figure where `nvidia-smi` answers,
 *   else the system's available memory (right for integrated and software adapters);
 * - tensorflow (tfjs-node-gpu): the GPU's free memory from `nvidia-smi` (CUDA means NVIDIA);
 * - tensorflow (tfjs-node, CPU) and cpu: the system's available memory (a cgroup limit counts).
 */
import { execFile } from 'node:child_process';
import { freemem, totalmem } from 'node:os';
import { tf } from '../tf';

export interface DeviceMemory {
  backend: string;
  /** Bytes a training step may use now. */
  availableBytes: number;
  /** Where that figure comes from, for messages. */
  source: string;
  /** The largest single buffer the backend can bind, when it has such a limit. */
  maxBufferBytes?: number;
}

/** wasm32 memory: 65 535 pages of 64 KiB, what tfjs-backend-wasm's build allows at most. */
export const WASM_HEAP_LIMIT = 65535 * 65536;

/** Available system memory (MemAvailable on Linux), bounded by a cgroup limit when one is set. */
export function systemAvailableBytes(): number {
  let available = freemem();
  const constrained = typeof process.constrainedMemory === 'function' ? process.constrainedMemory() : 0;
  if (constrained > 0 && constrained < totalmem()) available = Math.min(available, Math.max(0, constrained - process.memoryUsage().rss));
  return available;
}

/** Free memory of the first NVIDIA GPU in bytes, or null when nvidia-smi is absent or silent. */
export function nvidiaFreeBytes(timeoutMs = 3000): Promise<number | null> {
  return new Promise((resolve) => {
    execFile('nvidia-smi', ['--query-gpu=memory.free', '--format=csv,noheader,nounits'], { timeout: timeoutMs }, (error, stdout) => {
      if (error) return resolve(null);
      const mib = Number.parseFloat(stdout.trim().split('\n')[0] ?? '');
      resolve(Number.isFinite(mib) && mib > 0 ? mib * 2 ** 20 : null);
    });
  });
}

interface WebGpuLimits {
  maxBufferSize?: number;
  maxStorageBufferBindingSize?: number;
}

/** The adapter limits of tfjs-webgpu's device (`backend.device.limits`), when present. */
function webgpuLimits(): WebGpuLimits | null {
  const backend = tf.backend() as unknown as { device?: { limits?: WebGpuLimits } };
  return backend.device?.limits ?? null;
}

const gib = (bytes: number): string => `${(bytes / 2 ** 30).toFixed(1)} GiB`;

/** What the active backend (or the one named) can give a training step. */
export async function deviceMemory(options: { backend?: string; gpu?: boolean } = {}): Promise<DeviceMemory> {
  const backend = options.backend ?? tf.getBackend();
  const system = systemAvailableBytes();
  // Tensors already alive on the backend (another run's model, a loaded run) take their share.
  const inUse = tf.memory().numBytes;
  if (backend === 'wasm') {
    const heap = Math.max(0, WASM_HEAP_LIMIT - inUse);
    return heap <= system
      ? { backend, availableBytes: heap, source: `the wasm backend's 32-bit heap (${gib(WASM_HEAP_LIMIT)} at most, ${gib(inUse)} already in use)` }
      : { backend, availableBytes: system, source: `available system memory (${gib(system)}; the wasm heap could hold ${gib(heap)})` };
  }
  if (backend === 'webgpu') {
    const limits = webgpuLimits();
    const perBuffer = limits ? Math.min(limits.maxStorageBufferBindingSize ?? Infinity, limits.maxBufferSize ?? Infinity) : Infinity;
    const gpuFree = await nvidiaFreeBytes();
    const base: DeviceMemory = gpuFree !== null
      ? { backend, availableBytes: gpuFree, source: `free GPU memory reported by nvidia-smi (${gib(gpuFree)})` }
      : { backend, availableBytes: system, source: `available system memory (${gib(system)}; WebGPU reports no device memory size)` };
    return Number.isFinite(perBuffer) ? { ...base, maxBufferBytes: perBuffer } : base;
  }
  if (backend === 'tensorflow' && options.gpu) {
    const gpuFree = await nvidiaFreeBytes();
    if (gpuFree !== null) return { backend, availableBytes: gpuFree, source: `free GPU memory reported by nvidia-smi (${gib(gpuFree)})` };
  }
  return { backend, availableBytes: system, source: `available system memory (${gib(system)})` };
}
