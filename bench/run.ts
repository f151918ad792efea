/**
 * `npm run bench`: every benchmark, printed as one JSON object. Flow throughput runs once per
 * tfjs backend, each in a fresh process (a process holds one backend's kernels and memory);
 * a backend that cannot start is reported with the reason. Not a test: numbers vary with the
 * machine and its load.
 */
import { spawnSync } from 'node:child_process';
import { availableParallelism, cpus } from 'node:os';
import { join } from 'node:path';
import { benchData } from './data';
import { benchInteractive } from './interactive';
import { benchMemory } from './memory';

const BACKENDS = ['tensorflow', 'wasm', 'cpu'] as const;

function runFlowBench(backend: string, threads?: number): object {
  const result = spawnSync(process.execPath, ['--import', 'tsx', join(import.meta.dirname, 'flow.ts'), backend], {
    encoding: 'utf8',
    env: { ...process.env, FLOWSTUDIO_BACKEND: backend, ...(threads ? { FLOWSTUDIO_THREADS: String(threads) } : {}) },
    timeout: 30 * 60 * 1000,
  });
  if (result.status !== 0) return { backend, unavailable: (result.stderr.trim().split('\n').pop() ?? 'failed').slice(0, 300) };
  return JSON.parse(result.stdout.trim().split('\n').pop()!) as object;
}

async function main(): Promise<void> {
  if (process.argv.includes('--reference')) {
    // FlowStudio against its PyTorch reference (bench/reference/compare.ts), one JSON document.
    const { compareWithReference } = await import('./reference/compare');
    process.stdout.write(`${JSON.stringify(await compareWithReference(process.argv.slice(2)), null, 2)}\n`);
    return;
  }
  if (process.argv.includes('--interactive')) {
    process.stdout.write(`${JSON.stringify(await benchInteractive(), null, 2)}\n`);
    return;
  }
  const started = Date.now();
  // wasm on one thread and on every core (FLOWSTUDIO_THREADS), to show what threads buy.
  const flow = BACKENDS.flatMap((b) => (b === 'wasm' && availableParallelism() > 1 ? [runFlowBench(b, 1), runFlowBench(b, availableParallelism())] : [runFlowBench(b)]));
  const data = await benchData();
  const memory = benchMemory();
  const interactive = await benchInteractive();
  const report = {
    machine: { cpus: cpus().length, cpuModel: cpus()[0]?.model ?? 'unknown', node: process.version },
    flow,
    data,
    ...memory,
    interactive,
    seconds: Math.round((Date.now() - started) / 1000),
  };
  process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
