/**
 * Interactive latency (a benchmark, not a test): how long a slider move takes to answer, through
 * the real host router and engine process, as the UI sends it. A fashion-mnist-small run
 * trained for one step on Fashion-MNIST, then `moves` temperature moves: each a `sample` with
 * `preview` (PREVIEW_SAMPLES images), timed from request to response, then the full 64-image grid
 * of the same move. `npm run bench -- --interactive` prints one JSON object; `npm run bench`
 * includes it. FLOWSTUDIO_BACKEND / FLOWSTUDIO_THREADS reach the engine process.
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import type { CommandResult, ResponseFrame } from '../src-shared/protocol';
import { createNodeHost } from '../src-main/host/nodeHost';

const FASHION = '/usr/share/datasets/fashion-mnist';

function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

export async function benchInteractive(moves = 10): Promise<object> {
  if (!existsSync(FASHION)) return { unavailable: `Fashion-MNIST not found under ${FASHION}` };
  const runs = mkdtempSync(join(tmpdir(), 'flowstudio-interactive-'));
  const host = createNodeHost('serve', { env: { ...process.env, FLOWSTUDIO_RUNS: runs } });
  let id = 1;
  const call = async <T>(command: string, args: unknown): Promise<T> => {
    const r: ResponseFrame = await host.router.handle({ v: 1, type: 'request', id: id++, command, args });
    if (!r.ok) throw new Error(`${command}: ${r.error.message}`);
    return r.result as T;
  };
  try {
    const started = await call<CommandResult<'startTraining'>>('startTraining', {
      preset: 'fashion-mnist-small',
      overrides: { data: `fashion-mnist:${FASHION}`, train: { steps: 1, batchSize: 4, evalN: 8, evalEvery: 0 } },
    });
    const run = { runId: started.run.runId };
    await call('waitForRun', run);
    const backend = await call<CommandResult<'getBackendInfo'>>('getBackendInfo', {});
    await call('sample', { run, n: 64, temperature: 0.5, seed: 0 }); // loads the model, warms kernels
    const preview: number[] = [];
    const full: number[] = [];
    for (let m = 0; m < moves; m++) {
      const args = { run, n: 64, temperature: 0.3 + (0.6 * m) / moves, seed: 1, supersede: 'sampler' };
      let t0 = performance.now();
      await call('sample', { ...args, preview: true });
      preview.push(performance.now() - t0);
      t0 = performance.now();
      await call('sample', args);
      full.push(performance.now() - t0);
    }
    const round = (v: number): number => Number(v.toFixed(1));
    return {
      preset: 'fashion-mnist-small',
      backend: backend.active,
      ...(backend.threads !== undefined ? { threads: backend.threads } : {}),
      moves,
      firstPreviewMs: round(median(preview)),
      firstPreviewMsMax: round(Math.max(...preview)),
      fullGrid64Ms: round(median(full)),
      loadAverage: loadavg().map((v) => Number(v.toFixed(2))),
    };
  } finally {
    host.close();
    rmSync(runs, { recursive: true, force: true });
  }
}

if (process.argv[1]?.endsWith('interactive.ts')) {
  benchInteractive()
    .then((r) => process.stdout.write(`${JSON.stringify(r, null, 2)}\n`))
    .catch((error: unknown) => {
      process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
      process.exit(1);
    });
}
