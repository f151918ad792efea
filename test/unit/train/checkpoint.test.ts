/**
 * Verified checkpoints on real files: a damaged or truncated checkpoint is refused by name and
 * the previous one used; NaN/∞ never reach the disk; pruning keeps the newest K and the best;
 * a FIFO or hostile JSON where a checkpoint or config file belongs is refused at once, without
 * quoting its content.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { resolveRunConfig } from '../../../src-shared/config';
import { initBackend } from '../../../src-main/engine/backend';
import { tf } from '../../../src-main/engine/tf';
import { CHECKPOINT_FORMAT, NonFiniteCheckpointError, loadLatestCheckpoint, saveCheckpoint } from '../../../src-main/engine/train/checkpoint';
import { RunFolder } from '../../../src-main/engine/train/runFolder';

beforeAll(async () => {
  await initBackend('cpu');
});

const tmp = (): string => mkdtempSync(join(tmpdir(), 'flowstudio-ckpt-'));
const at = (step: number) => ({ step, optimizerIterations: step, position: { epoch: 0, offset: step }, backend: 'cpu' });

async function values(dir: string): Promise<{ step: number; w: number[]; skipped: string[] }> {
  const loaded = (await loadLatestCheckpoint(dir))!;
  const w = Array.from(await loaded.tensors['w']!.data());
  for (const t of Object.values(loaded.tensors)) t.dispose();
  return { step: loaded.step, w, skipped: loaded.skipped };
}

describe('verified checkpoints', () => {
  it('writes a format version, the length and the SHA-256 of the weights', async () => {
    const dir = join(tmp(), 'checkpoints');
    const w = tf.tensor1d([1, 2, 3]);
    const path = await saveCheckpoint(dir, at(5), { w });
    const meta = JSON.parse(readFileSync(join(path, 'meta.json'), 'utf8')) as { format: string; bytes: number; sha256: string };
    expect(meta.format).toBe(CHECKPOINT_FORMAT);
    expect(meta.bytes).toBe(12);
    // Independent hash of the file on disk.
    const sha = execFileSync('sha256sum', [join(path, 'weights.bin')], { encoding: 'utf8' }).split(' ')[0];
    expect(meta.sha256).toBe(sha);
    w.dispose();
  });

  it('refuses a checkpoint whose weights fail the checksum and uses the previous one, naming the file', async () => {
    const dir = join(tmp(), 'checkpoints');
    const a = tf.tensor1d([1, 2, 3, 4]);
    const b = tf.tensor1d([5, 6, 7, 8]);
    await saveCheckpoint(dir, at(10), { w: a });
    const newest = await saveCheckpoint(dir, at(20), { w: b });
    // One flipped bit, same length: only the checksum can tell.
    const bytes = readFileSync(join(newest, 'weights.bin'));
    bytes[5]! ^= 0x10;
    writeFileSync(join(newest, 'weights.bin'), bytes);
    const loaded = await values(dir);
    expect(loaded.step).toBe(10);
    expect(loaded.w).toEqual([1, 2, 3, 4]);
    expect(loaded.skipped).toEqual([`checkpoint ${join(newest, 'weights.bin')} fails its SHA-256 check (corrupt)`]);
    a.dispose();
    b.dispose();
  });

  it('refuses truncated weights and a torn meta.json, and says so when none is usable', async () => {
    const dir = join(tmp(), 'checkpoints');
    const w = tf.tensor1d([1, 2, 3, 4]);
    const first = await saveCheckpoint(dir, at(1), { w });
    const second = await saveCheckpoint(dir, at(2), { w });
    const third = await saveCheckpoint(dir, at(3), { w });
    truncateSync(join(third, 'weights.bin'), 7);
    const meta = readFileSync(join(second, 'meta.json'), 'utf8');
    writeFileSync(join(second, 'meta.json'), meta.slice(0, meta.length / 2));
    const loaded = await values(dir);
    expect(loaded.step).toBe(1);
    expect(loaded.skipped[0]).toContain(`${join(third, 'weights.bin')} has 7 bytes, expected 16`);
    expect(loaded.skipped[1]).toContain(`${join(second, 'meta.json')} is damaged`);
    rmSync(join(first, 'weights.bin'));
    await expect(loadLatestCheckpoint(dir)).rejects.toThrow(/no usable checkpoint in .*checkpoints: /);
    w.dispose();
  });

  it('never writes NaN or ±∞: the save is refused and the previous checkpoint stays the newest', async () => {
    const dir = join(tmp(), 'checkpoints');
    const good = tf.tensor1d([1, 2]);
    const bad = tf.tensor1d([1, Number.NaN]);
    const inf = tf.tensor1d([Number.POSITIVE_INFINITY, 0]);
    await saveCheckpoint(dir, at(1), { w: good });
    await expect(saveCheckpoint(dir, at(2), { w: good, m: bad })).rejects.toThrow(NonFiniteCheckpointError);
    await expect(saveCheckpoint(dir, at(3), { w: inf })).rejects.toThrow(/hold NaN or ±∞ \(w\)/);
    expect(readdirSync(dir).filter((n) => n.startsWith('step-'))).toEqual(['step-00000001']);
    expect((await values(dir)).step).toBe(1);
    tf.dispose([good, bad, inf]);
  });

  it('keeps the newest K and the best by test loss, and clears leftovers of killed saves', async () => {
    const dir = join(tmp(), 'checkpoints');
    const w = tf.tensor1d([1]);
    const tests = [5, 2, 4, 3, 6, 7];
    for (let i = 0; i < tests.length; i++) {
      await saveCheckpoint(dir, { ...at(i + 1), test: tests[i]! }, { w }, 2);
    }
    writeFileSync(join(dir, 'latest.json.tmp-999'), '{');
    await saveCheckpoint(dir, at(7), { w }, 2);
    expect(readdirSync(dir).sort()).toEqual(['latest.json', 'step-00000002', 'step-00000006', 'step-00000007']);
    w.dispose();
  });
});

describe('hostile files where run files belong', () => {
  it('refuses a FIFO config.json or meta.json at once instead of blocking', async () => {
    const folder = new RunFolder(join(tmp(), 'run'));
    folder.create(resolveRunConfig('toy2d'));
    rmSync(folder.configPath);
    execFileSync('mkfifo', [folder.configPath]);
    const started = performance.now();
    expect(() => folder.readConfig()).toThrow(`${folder.configPath} is not a regular file (it is a FIFO); only regular files are read`);
    const w = tf.tensor1d([1]);
    const path = await saveCheckpoint(folder.checkpointsDir, at(1), { w });
    rmSync(join(path, 'meta.json'));
    execFileSync('mkfifo', [join(path, 'meta.json')]);
    await expect(loadLatestCheckpoint(folder.checkpointsDir)).rejects.toThrow(/meta\.json is damaged: .* is not a regular file \(it is a FIFO\)/);
    expect(performance.now() - started).toBeLessThan(10_000);
    w.dispose();
  });

  it('names a config.json that is not JSON without quoting what it holds', () => {
    const folder = new RunFolder(join(tmp(), 'run'));
    folder.create(resolveRunConfig('toy2d'));
    writeFileSync(folder.configPath, 'root:x:0:0:root:/root:/bin/bash\n');
    let message = '';
    try {
      folder.readConfig();
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message).toBe(`${folder.configPath} is not valid JSON (truncated or corrupt)`);
    expect(existsSync(folder.configPath)).toBe(true);
  });
});
