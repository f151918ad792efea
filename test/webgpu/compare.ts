/**
 * Runs the same tfjs computation on wasm and on webgpu in one process and compares the two.
 * The tests on webgpu use it; so can any later one (whole-model training steps, sampling,
 * encoding) once those paths make no synchronous reads.
 *
 *   const gpu = await startWebgpu();            // at the top of the test file
 *   describe.skipIf(gpu.skip)(webgpuSuiteName('…', gpu), () => {
 *     const { wasm, webgpu } = await onWasmAndWebgpu(
 *       () => ({ layer: makeLayer(seed), x: tf.randomNormal(shape, 0, 1, 'float32', seed) }),
 *       ({ layer, x }) => [layer.forward(x).y],
 *       ({ layer, x }) => { layer.dispose(); x.dispose(); },
 *     );
 *     expectRelativelyClose(webgpu[0]!, wasm[0]!, 1e-4, 'y');
 *   });
 *
 * Everything is made afresh on each backend from seeds (tfjs draws seeded random numbers on
 * the host, so both get the same parameters and inputs). Nothing moves between the two:
 * moving a tensor off webgpu needs a synchronous read, which webgpu cannot do in Node (no
 * OffscreenCanvas).
 */
import { existsSync, readdirSync } from 'node:fs';
import { expect } from 'vitest';
import type { BackendInfo } from '../../src-shared/protocol';
import { initBackend } from '../../src-main/engine/backend';
import { configureWasm } from '../../src-main/engine/backends/wasm';
import { type Tensor, tf } from '../../src-main/engine/tf';

export interface WebgpuStart {
  /** Why the webgpu tests are skipped (no Vulkan driver at all); undefined when they run. */
  skip?: string;
  info?: BackendInfo;
}

/** Vulkan driver manifests the loader would read: if any exists, a missing adapter is a failure. */
function vulkanDrivers(): string[] {
  const listed = [process.env['VK_DRIVER_FILES'], process.env['VK_ICD_FILENAMES']].filter((v): v is string => !!v);
  if (listed.length > 0) return listed;
  const dirs = ['/usr/share/vulkan/icd.d', '/usr/local/share/vulkan/icd.d', '/etc/vulkan/icd.d'];
  return dirs.flatMap((d) => (existsSync(d) ? readdirSync(d).filter((f) => f.endsWith('.json')) : []));
}

/**
 * Starts webgpu (a software adapter too: forced) and makes wasm (one thread) available beside
 * it. Skips only where no adapter exists and no Vulkan driver is installed; any other failure
 * (a driver Dawn refuses, a broken Dawn) throws, so the tests fail rather than vanish.
 */
export async function startWebgpu(): Promise<WebgpuStart> {
  try {
    const info = await initBackend('webgpu');
    if (info.active !== 'webgpu') throw new Error(`this process already runs ${info.active}`);
    configureWasm(1);
    return { info };
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    const noAdapter = message.includes('no WebGPU adapter');
    const drivers = process.platform === 'linux' ? vulkanDrivers() : ['(platform driver)'];
    if (noAdapter && drivers.length === 0) return { skip: 'no Vulkan driver installed (Debian: mesa-vulkan-drivers ≥ 25 from bookworm-backports)' };
    throw new Error(`webgpu did not start although a Vulkan driver is installed (${drivers.join(', ')}): ${message}`);
  }
}

/** A suite title that says where it ran, or why it was skipped (vitest prints skipped titles). */
export function webgpuSuiteName(title: string, start: WebgpuStart): string {
  if (start.skip) return `${title} [skipped: ${start.skip}]`;
  return `${title} [webgpu on ${start.info?.adapter?.description ?? 'unknown adapter'}]`;
}

/**
 * On wasm, then on webgpu: `make` the inputs and parameters, `compute` the outputs, read them
 * with async reads, dispose them, `release` what `make` made. Leaves webgpu active.
 */
export async function onWasmAndWebgpu<T>(
  make: () => T,
  compute: (made: T) => Tensor[] | Promise<Tensor[]>,
  release: (made: T) => void,
): Promise<{ wasm: Float32Array[]; webgpu: Float32Array[] }> {
  const run = async (backend: 'wasm' | 'webgpu'): Promise<Float32Array[]> => {
    if (!(await tf.setBackend(backend))) throw new Error(`tf.setBackend('${backend}') failed`);
    const made = make();
    try {
      const outputs = await compute(made);
      const values = await Promise.all(outputs.map(async (t) => Float32Array.from((await t.data()) as Float32Array)));
      tf.dispose(outputs);
      return values;
    } finally {
      release(made);
    }
  };
  const wasm = await run('wasm');
  const webgpu = await run('webgpu');
  return { wasm, webgpu };
}

/** max|actual − expected| ≤ rel·max|expected| (so all-zero expected needs all-zero actual); one length, all finite. */
export function expectRelativelyClose(actual: Float32Array, expected: Float32Array, rel: number, label: string): void {
  expect(actual.length, `${label}: length`).toBe(expected.length);
  let scale = 0;
  let diff = 0;
  for (let i = 0; i < expected.length; i++) {
    expect(Number.isFinite(actual[i]!), `${label}[${i}] finite`).toBe(true);
    scale = Math.max(scale, Math.abs(expected[i]!));
    diff = Math.max(diff, Math.abs(actual[i]! - expected[i]!));
  }
  expect(diff, `${label}: max |webgpu − wasm| vs ${rel} × max |wasm| = ${rel * scale}`).toBeLessThanOrEqual(rel * scale);
}
