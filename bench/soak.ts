/**
 * Soak (a benchmark, not a test): `npm run soak -- --minutes M [--data SPEC] [--batch B]`.
 * Through the engine's own commands in this process (the CLI's Dispatcher and handlers), it
 * alternates training and sampling on one fashion-mnist-small run: train a few steps (the
 * run resumed by folder from its checkpoint each cycle, so checkpoint writing and loading,
 * run start and release are all in the loop), then sample a grid from the run's checkpoint.
 * Every minute it prints one JSON line: tensors held by tfjs, RSS and V8 heap, cycles and
 * steps so far; at the end a summary line with the growth from the first minute's figures.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { backendSummary } from '../src-shared/protocol';
import { CliEngine } from '../src-main/cli/engine';
import { tf } from '../src-main/engine/tf';

function flag(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] !== undefined ? process.argv[i + 1]! : fallback;
}

const minutes = Number(flag('minutes', '10'));
const data = flag('data', 'fashion-mnist:/usr/share/datasets/fashion-mnist');
const batch = Number(flag('batch', '8'));
const stepsPerCycle = Number(flag('steps', '4'));
if (!(minutes > 0) || !(batch > 0) || !(stepsPerCycle > 0)) throw new Error('soak: --minutes, --batch and --steps must be positive numbers');

const mb = (bytes: number): number => Math.round((bytes / 2 ** 20) * 10) / 10;

async function main(): Promise<void> {
  const engine = new CliEngine();
  const backend = await engine.invoke('getBackendInfo', {});
  const work = mkdtempSync(join(tmpdir(), 'flowstudio-soak-'));
  const runDir = join(work, 'run');
  console.log(JSON.stringify({ soak: 'start', minutes, data, batch, stepsPerCycle, backend: backendSummary(backend), runDir }));
  const started = Date.now();
  let steps = 0;
  let cycles = 0;
  let samples = 0;
  const readings: { minute: number; tensors: number; rssMB: number; heapMB: number }[] = [];
  let nextMinute = 1;
  try {
    while (Date.now() - started < minutes * 60_000) {
      steps += stepsPerCycle;
      const run =
        cycles === 0
          ? await engine.invoke('startTraining', {
              preset: 'fashion-mnist-small',
              runDir,
              overrides: { data, train: { steps, batchSize: batch, evalN: batch, evalEvery: 0, checkpointEvery: 0 } },
            })
          : await engine.invoke('resumeTraining', { runDir, steps });
      const done = await engine.invoke('waitForRun', { runId: run.run.runId });
      if (!done.outcome) throw new Error(`soak: training failed: ${done.message ?? 'unknown'}`);
      const grid = await engine.invoke('sample', { run: { runDir }, n: 8, temperature: 0.7, seed: cycles, preview: false });
      samples += grid.n;
      cycles += 1;
      const elapsed = Date.now() - started;
      if (elapsed >= nextMinute * 60_000) {
        const memory = process.memoryUsage();
        const reading = { minute: Math.floor(elapsed / 60_000), tensors: tf.memory().numTensors, rssMB: mb(memory.rss), heapMB: mb(memory.heapUsed) };
        readings.push(reading);
        console.log(JSON.stringify({ ...reading, cycles, steps, samples, tfBytesMB: mb(tf.memory().numBytes) }));
        nextMinute = Math.floor(elapsed / 60_000) + 1;
      }
    }
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
  const first = readings[0];
  const last = readings[readings.length - 1];
  if (first && last) {
    console.log(
      JSON.stringify({
        soak: 'end',
        cycles,
        steps,
        samples,
        tensorsFirst: first.tensors,
        tensorsLast: last.tensors,
        tensorsConstant: readings.every((r) => r.tensors === first.tensors),
        rssGrowthPercent: Math.round(((last.rssMB - first.rssMB) / first.rssMB) * 1000) / 10,
        heapGrowthPercent: Math.round(((last.heapMB - first.heapMB) / first.heapMB) * 1000) / 10,
      }),
    );
  }
  process.exit(0);
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : String(error));
  process.exit(1);
});
