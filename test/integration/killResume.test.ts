/**
 * Crash safety of a real CLI training process (a small toy2d model on toy:rings, checkpoints by
 * time every 0.15 s only): it is SIGKILLed 6 times at seeded random moments, half of them while a
 * checkpoint is being written (fsync slowed by test/fixtures/slowFsync.mjs so the write is
 * wide enough to hit), and resumed by folder each time; then stopped with SIGTERM and resumed
 * to the end. Checked from the files alone, independently of the loader: every complete
 * checkpoint verifies (its own SHA-256 recomputed here), each resume starts at the newest
 * complete checkpoint at the moment of the kill (so a kill loses only the work after it),
 * SIGTERM loses nothing, the run reaches its target and metrics.jsonl holds exactly one
 * record per step.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { BIN } from '../helpers/cliProcess';
import { rng as random } from '../helpers/random';

const SEED = 13;
const TARGET = 40;
const KILLS = 6;
const slowFsync = pathToFileURL(resolve('test/fixtures/slowFsync.mjs')).href;


const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

interface Session {
  child: ChildProcess;
  stderr: () => string;
  exited: Promise<number | null>;
}

function launch(args: string[], work: string): Session {
  const child = spawn(process.execPath, ['--import', slowFsync, BIN, ...args], {
    env: { ...process.env, FLOWSTUDIO_CACHE_DIR: join(work, 'cache'), FLOWSTUDIO_TEST_FSYNC_MS: '25' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let err = '';
  child.stderr!.on('data', (chunk: Buffer) => (err += chunk.toString()));
  child.stdout!.resume();
  const exited = new Promise<number | null>((r) => child.once('exit', (code, signal) => r(signal ? null : code)));
  return { child, stderr: () => err, exited };
}

/** Steps in metrics.jsonl (complete lines only). */
function loggedSteps(run: string): number[] {
  const path = join(run, 'metrics.jsonl');
  if (!existsSync(path)) return [];
  const steps: number[] = [];
  for (const line of readFileSync(path, 'utf8').split('\n')) {
    try {
      steps.push((JSON.parse(line) as { step: number }).step);
    } catch {
      // a torn last line
    }
  }
  return steps;
}

/** Complete checkpoint folders (renamed into place), each verified against its own meta.json. */
function completeCheckpoints(run: string): { steps: number[]; damaged: string[]; partial: boolean } {
  const dir = join(run, 'checkpoints');
  if (!existsSync(dir)) return { steps: [], damaged: [], partial: false };
  const names = readdirSync(dir);
  const damaged: string[] = [];
  const steps: number[] = [];
  for (const name of names.filter((n) => /^step-\d{8}$/.test(n))) {
    try {
      const meta = JSON.parse(readFileSync(join(dir, name, 'meta.json'), 'utf8')) as { step: number; bytes: number; sha256: string };
      const bytes = readFileSync(join(dir, name, 'weights.bin'));
      if (bytes.byteLength !== meta.bytes || createHash('sha256').update(bytes).digest('hex') !== meta.sha256) damaged.push(name);
      else steps.push(meta.step);
    } catch {
      damaged.push(name);
    }
  }
  return { steps: steps.sort((a, b) => a - b), damaged, partial: names.some((n) => n.endsWith('.partial') || n.endsWith('.old') || n.includes('.tmp-')) };
}

async function until(what: string, condition: () => boolean, session: Session, timeoutMs = 60_000): Promise<void> {
  const started = Date.now();
  while (!condition()) {
    if (session.child.exitCode !== null) throw new Error(`the training process exited (${session.child.exitCode}) before ${what}:\n${session.stderr()}`);
    if (Date.now() - started > timeoutMs) throw new Error(`timed out waiting for ${what}:\n${session.stderr()}`);
    await sleep(5);
  }
}

describe(`SIGKILL at random moments (seed ${SEED})`, () => {
  it('resumes by folder after each kill, loses only the work after the newest checkpoint, and logs each step once', async () => {
    const work = mkdtempSync(join(tmpdir(), 'flowstudio-kill-'));
    const run = join(work, 'run');
    const rand = random(SEED);
    const fresh = ['train', '--preset', 'toy2d', '--data', 'toy:rings', '--batch', '16', '--eval-n', '64', '--set', 'model.blocksPerLevel=2', '--set', 'model.coupling.hidden=16', '--eval-every', '0', '--steps', String(TARGET), '--checkpoint-seconds', '0.15', '--set', 'train.checkpointEvery=0', '--out', run];
    const resume = ['train', '--out', run, '--resume'];
    let resumeFrom = 0;
    let killsDuringWrite = 0;
    for (let kill = 0; kill < KILLS; kill++) {
      const session = launch(kill === 0 ? fresh : resume, work);
      if (kill > 0) {
        // It starts exactly at the newest complete checkpoint of the kill before, and says so.
        await until('the resume line', () => /resumed from .* at step \d+/.test(session.stderr()), session);
        expect(/resumed from .* at step (\d+)/.exec(session.stderr())![1], `resume after kill ${kill}`).toBe(String(resumeFrom));
        expect(session.stderr()).not.toMatch(/damaged|SHA-256|truncated/);
      }
      // Let it do new work, then kill at a seeded moment: the odd kills wait for a
      // checkpoint write to begin (a .partial folder) and strike inside it.
      const ahead = resumeFrom + 1 + Math.floor(rand() * 3);
      await until(`step ${ahead}`, () => Math.max(-1, ...loggedSteps(run)) >= ahead, session);
      if (kill % 2 === 1) {
        await until('a checkpoint write', () => completeCheckpoints(run).partial, session);
        await sleep(rand() * 30);
      } else {
        await sleep(rand() * 400);
      }
      session.child.kill('SIGKILL');
      await session.exited;
      const after = completeCheckpoints(run);
      if (after.partial) killsDuringWrite += 1;
      expect(after.damaged, `kill ${kill + 1}`).toEqual([]);
      const newest = after.steps[after.steps.length - 1]!;
      expect(newest, `kill ${kill + 1}: the newest checkpoint is not behind the resume point`).toBeGreaterThanOrEqual(resumeFrom);
      expect(newest).toBeLessThanOrEqual(Math.max(...loggedSteps(run)));
      resumeFrom = newest;
    }
    expect(killsDuringWrite, 'kills that landed inside a checkpoint write').toBeGreaterThanOrEqual(2);

    // SIGTERM: the process checkpoints the last finished step before it exits; nothing is lost.
    const term = launch(resume, work);
    await until('the resume line', () => new RegExp(`resumed from .* at step ${resumeFrom}\\b`).test(term.stderr()), term);
    await until(`step ${resumeFrom + 2}`, () => Math.max(...loggedSteps(run)) >= resumeFrom + 2, term);
    term.child.kill('SIGTERM');
    expect(await term.exited, term.stderr()).toBe(143);
    const stopped = completeCheckpoints(run);
    expect(stopped.damaged).toEqual([]);
    expect(stopped.steps[stopped.steps.length - 1]).toBe(Math.max(...loggedSteps(run)));
    expect(term.stderr()).toMatch(new RegExp(`stopped at step \\d+ of ${TARGET} with a checkpoint`));

    const last = launch(resume, work);
    expect(await last.exited, last.stderr()).toBe(0);
    expect(last.stderr()).toContain(`at step ${stopped.steps[stopped.steps.length - 1]}`);
    const final = completeCheckpoints(run);
    expect(final.damaged).toEqual([]);
    expect(final.steps[final.steps.length - 1]).toBe(TARGET);
    expect(loggedSteps(run)).toEqual(Array.from({ length: TARGET + 1 }, (_, i) => i));
  }, 300_000);
});
