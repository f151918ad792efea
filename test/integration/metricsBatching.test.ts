/**
 * Metrics events are batched by the engine: a toy run whose steps are far faster than a UI
 * draws sends fewer `metrics` events than steps, and the records of all its events, in order,
 * are exactly the lines of the run's metrics.jsonl (none dropped, none reordered). Through a
 * real engine process and the host's router, as the UI receives them.
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CommandResult, EventFrame, EventPayload, ResponseFrame } from '../../src-shared/protocol';
import { type NodeHost, createNodeHost } from '../../src-main/host/nodeHost';

let host: NodeHost;
const events: EventFrame[] = [];
const runsRoot = mkdtempSync(join(tmpdir(), 'flowstudio-batch-'));
let nextId = 1;

async function call<T>(command: string, args: unknown): Promise<T> {
  const response: ResponseFrame = await host.router.handle({ v: 1, type: 'request', id: nextId++, command, args });
  if (!response.ok) throw new Error(`${command} failed: ${response.error.message}`);
  return response.result as T;
}

beforeAll(() => {
  host = createNodeHost('serve', { env: { ...process.env, FLOWSTUDIO_BACKEND: 'wasm', FLOWSTUDIO_RUNS: runsRoot } });
  host.router.onEvent((frame) => events.push(frame));
});

afterAll(() => host.close());

describe('metrics events', () => {
  it('come in batches: fewer events than steps, and every record of metrics.jsonl exactly once, in order', async () => {
    const steps = 300;
    const started = await call<CommandResult<'startTraining'>>('startTraining', {
      preset: 'toy2d',
      overrides: {
        data: 'toy:two-moons?n=1024',
        // A tiny model: each step takes a few milliseconds, far below the batching interval.
        model: { blocksPerLevel: 1, coupling: { hidden: 4 } },
        train: { steps, batchSize: 8, evalEvery: 0, evalN: 64, diagnosticsEvery: 50, checkpointEvery: 0 },
      },
    });
    const { runId, runDir } = started.run;
    const ended = await call<CommandResult<'waitForRun'>>('waitForRun', { runId });
    expect(ended.run.state).toBe('finished');
    expect(ended.outcome?.steps).toBe(steps);

    const batches = events.filter((e) => e.event === 'metrics').map((e) => e.payload as EventPayload<'metrics'>).filter((p) => p.runId === runId);
    const records = batches.flatMap((b) => b.records);
    const lines = readFileSync(join(runDir, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as unknown);
    // step 0 (initial test) and one record per step, the last one with the final evaluation.
    expect(lines.length).toBe(steps + 1);
    expect(lines.map((l) => (l as { step: number }).step)).toEqual(Array.from({ length: steps + 1 }, (_, i) => i));
    expect(records).toEqual(lines);
    expect(batches.length).toBeLessThan(steps);
    expect(batches.every((b) => b.records.length >= 1)).toBe(true);
    // Every record reached the client before the state event that ended the run.
    const finishedAt = events.findIndex((e) => e.event === 'state' && (e.payload as EventPayload<'state'>).run.runId === runId && (e.payload as EventPayload<'state'>).run.state === 'finished');
    const lastMetricsAt = events.map((e, i) => (e.event === 'metrics' && (e.payload as EventPayload<'metrics'>).runId === runId ? i : -1)).reduce((a, b) => Math.max(a, b), -1);
    expect(lastMetricsAt).toBeLessThan(finishedAt);
    console.log(`metrics batching: ${steps} steps, ${records.length} records in ${batches.length} events`);
  });
});
