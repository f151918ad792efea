/** The `bounds` protocol command on a small IDX dataset written here: result, progress events. */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { type EventName, type EventPayload, commands, events } from '../../../src-shared/protocol';
import { type EngineContext, standaloneContext } from '../../../src-main/engine/context';
import { theoryHandlers } from '../../../src-main/engine/handlers/theory';
import { arraySource, computeBounds } from '../../../src-main/engine/theory/bounds';
import { rng } from './helpers/reference64';

const dir = mkdtempSync(join(tmpdir(), 'flowstudio-bounds-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function idx(magic: number, dims: number[], data: Uint8Array): Buffer {
  const header = Buffer.alloc(4 + 4 * dims.length);
  header.writeUInt32BE(magic, 0);
  dims.forEach((d, i) => header.writeUInt32BE(d, 4 + 4 * i));
  return Buffer.concat([header, Buffer.from(data)]);
}

/** Blobs of varying size and brightness on a dark 6 × 5 background. */
function images(n: number, seed: number): Uint8Array {
  const u = rng(seed);
  const out = new Uint8Array(n * 30);
  for (let e = 0; e < n; e++) {
    const cy = 1 + u() * 4;
    const cx = 1 + u() * 3;
    const peak = 80 + 170 * u();
    for (let y = 0; y < 6; y++) {
      for (let x = 0; x < 5; x++) out[e * 30 + y * 5 + x] = Math.round(peak * Math.exp(-((y - cy) ** 2 + (x - cx) ** 2) / 2) + 10 * u());
    }
  }
  return out;
}

describe('bounds handler', () => {
  it('answers with schema-valid bounds and reports progress of both passes', async () => {
    const train = images(200, 1);
    const test = images(90, 2);
    writeFileSync(join(dir, 'train-images-idx3-ubyte'), idx(2051, [200, 6, 5], train));
    writeFileSync(join(dir, 'train-labels-idx1-ubyte'), idx(2049, [200], new Uint8Array(200)));
    writeFileSync(join(dir, 't10k-images-idx3-ubyte'), idx(2051, [90, 6, 5], test));
    writeFileSync(join(dir, 't10k-labels-idx1-ubyte'), idx(2049, [90], new Uint8Array(90)));

    const emitted: { event: EventName; payload: unknown }[] = [];
    const ctx: EngineContext = {
      ...standaloneContext(),
      emit<E extends EventName>(event: E, payload: EventPayload<E>) {
        emitted.push({ event, payload });
      },
      log() {},
    };
    const args = commands.bounds.args.parse({ data: `mnist:${dir}` });
    expect(args.split).toBe('train');
    const result = await theoryHandlers.bounds!({ ...args, split: 'test' }, ctx);
    expect(commands.bounds.result.parse(result)).toEqual(result);
    const reference = await computeBounds(arraySource(test, [6, 5, 1], 8));
    expect(result.count).toBe(90);
    expect(result.ppcaBpd).toBeCloseTo(reference.ppcaBpd, 10);
    expect(result.qlfBpd).toBeCloseTo(reference.qlfBpd, 10);

    const progress = emitted.filter((e) => e.event === 'progress').map((e) => events.progress.parse(e.payload));
    const tasks = new Set(progress.map((p) => p.task));
    expect(tasks).toEqual(new Set(['bounds 1/2: moments', 'bounds 2/2: spectra']));
    const last = progress[progress.length - 1]!;
    expect(last.done).toBe(90);
    expect(last.total).toBe(90);
  });
});
