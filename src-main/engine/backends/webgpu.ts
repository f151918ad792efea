/**
 * WebGPU in Node through Dawn (the `webgpu` npm package): installs `navigator.gpu`, asks it
 * for an adapter and says what that adapter is. tfjs-backend-webgpu registers itself on import
 * only when `navigator.gpu` exists, so it is imported after this module has installed it.
 *
 * A software adapter (Mesa's llvmpipe/lavapipe, SwiftShader, any adapter that says it is a CPU
 * or a fallback) is slower than wasm: in auto mode it is refused with that reason, and
 * FLOWSTUDIO_BACKEND=webgpu takes it anyway (the correctness tests run on lavapipe).
 *
 * Dawn has no OffscreenCanvas in Node, so tfjs-webgpu's synchronous reads (dataSync) fail
 * there: the engine reads tensors with `await t.data()`.
 */
import type { AdapterInfo } from '../../../src-shared/protocol';

/** The few parts of the WebGPU API used here (the full types would change Node's globals). */
interface GpuAdapterInfoLike {
  vendor?: string;
  architecture?: string;
  device?: string;
  description?: string;
  isFallbackAdapter?: boolean;
}
interface GpuAdapterLike {
  info?: GpuAdapterInfoLike;
  isFallbackAdapter?: boolean;
}
interface GpuLike {
  requestAdapter(options?: { powerPreference?: 'low-power' | 'high-performance' }): Promise<GpuAdapterLike | null>;
}
interface DawnModule {
  create(flags: string[]): GpuLike;
  globals: Record<string, unknown>;
}

const SOFTWARE = /llvmpipe|lavapipe|swiftshader|softpipe|software|\bcpu\b/i;

/** Imports a package by a name held in a variable, so bundlers leave it to run time. */
async function importAtRunTime<T>(pkg: string): Promise<T> {
  return (await import(/* @vite-ignore */ pkg)) as T;
}

let gpu: GpuLike | null = null;

/** Installs Dawn's `navigator.gpu` (and the GPU* constants tfjs-webgpu reads) once. */
async function installNavigatorGpu(): Promise<GpuLike> {
  if (gpu) return gpu;
  const dawn = await importAtRunTime<DawnModule>('webgpu');
  Object.assign(globalThis, dawn.globals);
  // Vulkan on Linux (Dawn would also try OpenGL ES there); Dawn's default elsewhere
  // (Metal on macOS, D3D12 on Windows).
  const created = dawn.create(process.platform === 'linux' ? ['backend=vulkan'] : []);
  const holder = globalThis as { navigator?: object };
  if (holder.navigator) {
    // Node ≥ 21 and Electron have a navigator of their own: add gpu to it.
    Object.defineProperty(holder.navigator, 'gpu', { value: created, configurable: true });
  } else {
    Object.defineProperty(globalThis, 'navigator', { value: { gpu: created }, configurable: true, writable: true });
  }
  gpu = created;
  return created;
}

export function describeAdapter(adapter: GpuAdapterLike): AdapterInfo {
  const info = adapter.info ?? {};
  const vendor = info.vendor ?? '';
  const architecture = info.architecture ?? '';
  const device = info.device ?? '';
  const description = info.description ?? '';
  const fallback = info.isFallbackAdapter === true || adapter.isFallbackAdapter === true;
  const software = fallback || architecture === 'software' || SOFTWARE.test(`${description} ${device}`);
  return { vendor, architecture, device, description, software };
}

/**
 * Makes WebGPU ready for tfjs: Dawn's navigator.gpu, an adapter (the one tfjs-webgpu will pick:
 * high-performance), and the backend package imported. Returns what the adapter is. Throws a
 * readable reason when there is none, or when it is a software one and `allowSoftware` is off.
 */
export async function loadWebgpu(allowSoftware: boolean): Promise<AdapterInfo> {
  const navigatorGpu = await installNavigatorGpu();
  const adapter = await navigatorGpu.requestAdapter({ powerPreference: 'high-performance' });
  if (!adapter) throw new Error('no WebGPU adapter (no Vulkan, Metal or D3D12 driver found)');
  const info = describeAdapter(adapter);
  if (info.software && !allowSoftware) {
    throw new Error(`software adapter (${info.description || info.device || info.vendor}), slower than wasm; FLOWSTUDIO_BACKEND=webgpu forces it`);
  }
  await importAtRunTime<unknown>('@tensorflow/tfjs-backend-webgpu');
  return info;
}

interface ReadSyncBackend {
  readSync(dataId: object): unknown;
}

/**
 * tfjs-webgpu reads a GPU tensor synchronously through an OffscreenCanvas, which Node lacks, so
 * dataSync()/arraySync() on webgpu fail with "OffscreenCanvas is not defined". Call after
 * setBackend('webgpu'): the failure then says what it is and what to do instead.
 */
export function explainSyncReads(backend: ReadSyncBackend): void {
  const readSync = backend.readSync.bind(backend);
  backend.readSync = (dataId: object): unknown => {
    try {
      return readSync(dataId);
    } catch (error) {
      if (error instanceof ReferenceError && error.message.includes('OffscreenCanvas')) {
        throw new Error('webgpu cannot read a tensor synchronously in Node (dataSync/arraySync): this code path must read with await tensor.data()');
      }
      throw error;
    }
  };
}
