/**
 * The host stops a real engine process in order: SIGTERM first (so the engine can checkpoint
 * running trainers), a bounded wait for it to exit, SIGKILL only after the grace period. A test
 * preload (test/fixtures/slowSigterm.mjs) makes the engine take a while to stop, as a checkpoint
 * write would.
 */
import { existsSync, mkdtempSync, readFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { type EngineChannel, type EngineEntry, forkEngine, resolveEngineEntry } from '../../src-main/host/engineChannel';
import { EngineClient } from '../../src-main/host/engineClient';
import { createNodeHost } from '../../src-main/host/nodeHost';

const slowSigterm = pathToFileURL(resolve('test/fixtures/slowSigterm.mjs')).href;

/** A real engine process whose signals are recorded in `signals`. */
function recordedEngine(signals: string[], stopMs = 0): { client: EngineClient; marker: string } {
  const marker = join(mkdtempSync(join(tmpdir(), 'flowstudio-shutdown-')), 'stopped');
  const base = resolveEngineEntry();
  const entry: EngineEntry = { modulePath: base.modulePath, execArgv: [...base.execArgv, '--import', slowSigterm] };
  const env = { ...process.env, FLOWSTUDIO_BACKEND: 'cpu', FLOWSTUDIO_TEST_SIGTERM_MS: String(stopMs), FLOWSTUDIO_TEST_SIGTERM_MARKER: marker };
  const spawn = (): EngineChannel => {
    const channel = forkEngine(entry, env);
    return {
      get pid() {
        return channel.pid;
      },
      send: (message) => channel.send(message),
      onMessage: (listener) => channel.onMessage(listener),
      onExit: (listener) => channel.onExit(listener),
      terminate: () => {
        signals.push('SIGTERM');
        channel.terminate();
      },
      kill: () => {
        signals.push('SIGKILL');
        channel.kill();
      },
    };
  };
  return { client: new EngineClient(spawn), marker };
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function startedPid(client: EngineClient): Promise<number> {
  const pong = (await client.request('ping', { nonce: 'x' })) as { pid: number };
  return pong.pid;
}

describe('engine shutdown from the host', () => {
  it('sends SIGTERM and nothing else to an engine that stops at once', async () => {
    const signals: string[] = [];
    const { client } = recordedEngine(signals);
    const pid = await startedPid(client);
    const outcome = await client.shutdown(10_000);
    expect(signals).toEqual(['SIGTERM']);
    expect(outcome?.forced).toBe(false);
    expect(outcome?.reason).toMatch(/killed by SIGTERM|exited with code 0/);
    expect(alive(pid)).toBe(false);
  });

  it('waits for an engine that takes its time to stop (a checkpoint being written)', async () => {
    const signals: string[] = [];
    const { client, marker } = recordedEngine(signals, 1500);
    const pid = await startedPid(client);
    const outcome = await client.shutdown(30_000);
    expect(signals).toEqual(['SIGTERM']);
    expect(outcome).toEqual({ reason: 'exited with code 0', forced: false });
    // The engine finished its SIGTERM work before the host called it stopped.
    expect(existsSync(marker)).toBe(true);
    expect(alive(pid)).toBe(false);
  });

  it('kills an engine that does not stop within the grace period', async () => {
    const signals: string[] = [];
    const { client, marker } = recordedEngine(signals, 20_000);
    const pid = await startedPid(client);
    const outcome = await client.shutdown(500);
    expect(signals).toEqual(['SIGTERM', 'SIGKILL']);
    expect(outcome).toEqual({ reason: 'killed by SIGKILL', forced: true });
    expect(existsSync(marker)).toBe(false);
    expect(alive(pid)).toBe(false);
  });

  it('fails requests in flight, refuses new ones, and stops an engine still starting', async () => {
    const signals: string[] = [];
    const { client } = recordedEngine(signals);
    await startedPid(client);
    const failure = (error: Error): string => error.message;
    const inFlight = client.request('datasetInfo', { data: 'toy:rings?n=200000', examples: 0 }).catch(failure);
    const queued = client.request('ping', { nonce: 'queued' }).catch(failure);
    await new Promise((r) => setTimeout(r, 20));
    expect(client.pendingCount).toBe(2);
    await client.shutdown(10_000);
    expect(await queued).toBe('the engine host is shutting down');
    expect(await inFlight).toBe('the engine host is shutting down');
    await expect(client.request('ping', { nonce: 'late' })).rejects.toThrow(/shut down/);

    const startSignals: string[] = [];
    const starting = recordedEngine(startSignals);
    const start = starting.client.ensureStarted().catch((error: Error) => error);
    const outcome = await starting.client.shutdown(10_000);
    expect(startSignals).toEqual(['SIGTERM']);
    expect(outcome?.forced).toBe(false);
    expect(await start).toBeInstanceOf(Error);
  });
});

describe('a training engine on SIGTERM', () => {
  it('stops its trainer, checkpoints the last finished step, then exits by itself', async () => {
    const runsRoot = mkdtempSync(join(tmpdir(), 'flowstudio-sigterm-runs-'));
    const host = createNodeHost('serve', { env: { ...process.env, FLOWSTUDIO_BACKEND: 'wasm', FLOWSTUDIO_RUNS: runsRoot } });
    let step = 0;
    host.router.onEvent((frame) => {
      if (frame.event === 'metrics') for (const r of (frame.payload as { records: { step: number }[] }).records) step = Math.max(step, r.step);
    });
    const runDir = join(runsRoot, 'r');
    // Checkpoints only at step 0 and on stop: a step-3+ checkpoint can only come from SIGTERM.
    const response = await host.router.handle({
      v: 1,
      type: 'request',
      id: 1,
      command: 'startTraining',
      args: {
        preset: 'toy2d',
        runDir,
        overrides: { data: 'toy:rings?n=1024', model: { blocksPerLevel: 2, coupling: { hidden: 16 } }, train: { steps: 100_000, batchSize: 16, evalN: 64, evalEvery: 0, checkpointEvery: 0, checkpointSeconds: 0 } },
      },
    });
    expect(response.ok, JSON.stringify(response)).toBe(true);
    const started = Date.now();
    while (step < 3 && Date.now() - started < 90_000) await new Promise((r) => setTimeout(r, 20));
    const outcome = await host.shutdown(60_000);
    expect(outcome).toEqual({ reason: 'exited with code 0', forced: false });
    const steps = readFileSync(join(runDir, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => (JSON.parse(l) as { step: number }).step);
    const newest = readdirSync(join(runDir, 'checkpoints')).filter((n) => /^step-\d{8}$/.test(n)).sort().pop()!;
    expect(Number(newest.slice(5))).toBeGreaterThanOrEqual(3);
    expect(Number(newest.slice(5))).toBe(Math.max(...steps));
    expect((JSON.parse(readFileSync(join(runDir, 'run.json'), 'utf8')) as { state: string }).state).toBe('stopped');
  }, 180_000);
});
