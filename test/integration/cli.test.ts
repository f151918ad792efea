/**
 * The `flowstudio` command line as a user runs it: real subprocesses of the built CLI, real
 * data (2-D toys, Debian's Fashion-MNIST), real files. Each command's --json line carries the
 * documented keys; training lowers the test NLL below a documented threshold; a resumed run
 * ends bit-identical to an uninterrupted one; bad input fails with a message naming it.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { BIN } from '../helpers/cliProcess';

const work = mkdtempSync(join(tmpdir(), 'flowstudio-cli-'));

interface Ran {
  status: number | null;
  stdout: string;
  stderr: string;
  json: Record<string, unknown>;
}

function flowstudio(args: string[], env: Record<string, string> = {}): Ran {
  const result = spawnSync(process.execPath, [BIN, ...args], {
    encoding: 'utf8',
    env: { ...process.env, FLOWSTUDIO_CACHE_DIR: join(work, 'cache'), ...env },
    timeout: 300_000,
  });
  const last = result.stdout.trim().split('\n').pop() ?? '';
  let json: Record<string, unknown> = {};
  try {
    json = JSON.parse(last) as Record<string, unknown>;
  } catch {
    // not a --json run, or it failed
  }
  return { status: result.status, stdout: result.stdout, stderr: result.stderr, json };
}

/**
 * Toy budgets (docs/results.md): 200 steps of batch 256 from the toy2d preset, about 30 s on
 * wasm here. Thresholds in nats per point, below what the best Gaussian (full covariance)
 * reaches on the same test points (two-moons 3.30, 8gaussians 4.25), so only a non-linear
 * flow passes; measured 3.04 and 3.21. The initial model sits at 3.95 and 5.95.
 */
const TOY_STEPS = '200';
const TOY_THRESHOLDS: Record<string, number> = { 'two-moons': 3.15, '8gaussians': 3.4 };

describe('flowstudio train on 2-D toys', () => {
  for (const toy of Object.keys(TOY_THRESHOLDS)) {
    it(`lowers the test NLL of ${toy} below ${TOY_THRESHOLDS[toy]} nats`, () => {
      const out = join(work, `toy-${toy}`);
      const ran = flowstudio(['train', '--preset', 'toy2d', '--data', `toy:${toy}`, '--steps', TOY_STEPS, '--eval-n', '2048', '--out', out, '--json']);
      expect(ran.status, ran.stderr).toBe(0);
      expect(Object.keys(ran.json)).toEqual(expect.arrayContaining(['backend', 'steps', 'imagesPerSecond', 'trainNll', 'testNll', 'initialTestNll']));
      expect(ran.json['steps']).toBe(Number(TOY_STEPS));
      expect(ran.json['testNll'] as number).toBeLessThan(ran.json['initialTestNll'] as number);
      expect(ran.json['testNll'] as number).toBeLessThan(TOY_THRESHOLDS[toy]!);
      expect(existsSync(join(out, 'config.json'))).toBe(true);
      expect(readFileSync(join(out, 'metrics.jsonl'), 'utf8').split('\n').length).toBeGreaterThan(Number(TOY_STEPS));
    }, 300_000);
  }
});

describe('flowstudio train on real Fashion-MNIST', () => {
  it('lowers the test bpd of fashion-mnist-small over a short run', () => {
    // A reduced batch and a short warm-up so 40 steps fit the test budget (~30 s).
    const ran = flowstudio([
      'train', '--preset', 'fashion-mnist-small', '--data', 'fashion-mnist:/usr/share/datasets/fashion-mnist',
      '--steps', '40', '--batch', '8', '--lr', '0.002', '--warmup', '10', '--eval-n', '128', '--out', join(work, 'fm-short'), '--json',
    ]);
    expect(ran.status, ran.stderr).toBe(0);
    expect(ran.json['initialTestBpd'] as number).toBeGreaterThan(9);
    expect(ran.json['testBpd'] as number).toBeLessThan((ran.json['initialTestBpd'] as number) - 0.5);
  }, 300_000);
});

describe('resume', () => {
  it('continues a run to exactly the weights of an uninterrupted one', () => {
    const common = ['train', '--preset', 'toy2d', '--data', 'toy:rings', '--batch', '64', '--eval-n', '128', '--json'];
    const straight = flowstudio([...common, '--steps', '16', '--out', join(work, 'straight')]);
    expect(straight.status, straight.stderr).toBe(0);
    const first = flowstudio([...common, '--steps', '7', '--out', join(work, 'resumed')]);
    expect(first.status, first.stderr).toBe(0);
    const second = flowstudio([...common, '--steps', '16', '--out', join(work, 'resumed'), '--resume']);
    expect(second.status, second.stderr).toBe(0);
    expect(second.json['steps']).toBe(16);
    const weights = (dir: string): Buffer => readFileSync(join(work, dir, 'checkpoints', 'step-00000016', 'weights.bin'));
    expect(weights('resumed').equals(weights('straight'))).toBe(true);
    expect(second.json['testNll']).toBe(straight.json['testNll']);
  });

  it('resumes by folder alone: every setting comes from config.json, a differing flag is refused', () => {
    const first = flowstudio(['train', '--preset', 'toy2d', '--data', 'toy:rings', '--batch', '64', '--eval-n', '128', '--steps', '7', '--out', join(work, 'by-folder'), '--json']);
    expect(first.status, first.stderr).toBe(0);
    const conflict = flowstudio(['train', '--out', join(work, 'by-folder'), '--resume', '--batch', '32', '--set', 'model.levels=2']);
    expect(conflict.status).toBe(1);
    expect(conflict.stderr).toMatch(/--batch \(train\.batchSize\): 32 was given, the run has 64/);
    expect(conflict.stderr).toMatch(/--set model\.levels \(model\.levels\): 2 was given, the run has 1/);
    const second = flowstudio(['train', '--out', join(work, 'by-folder'), '--resume', '--steps', '16', '--json']);
    expect(second.status, second.stderr).toBe(0);
    expect(second.json['steps']).toBe(16);
    const weights = (dir: string): Buffer => readFileSync(join(work, dir, 'checkpoints', 'step-00000016', 'weights.bin'));
    expect(weights('by-folder').equals(weights('straight'))).toBe(true);
  });
});

describe('--set', () => {
  it('overrides any config field through the config schema, naming bad settings', () => {
    const out = join(work, 'set');
    const ran = flowstudio([
      'train', '--preset', 'toy2d', '--data', 'toy:rings', '--steps', '2', '--eval-n', '64',
      '--set', 'model.blocksPerLevel=2', '--set', 'train.learningRate.warmupSteps=3', '--set', 'model.coupling.hidden=8', '--out', out, '--json',
    ]);
    expect(ran.status, ran.stderr).toBe(0);
    const config = JSON.parse(readFileSync(join(out, 'config.json'), 'utf8')) as { model: { blocksPerLevel: number; coupling: { hidden: number } }; train: { learningRate: { warmupSteps: number } } };
    expect(config.model.blocksPerLevel).toBe(2);
    expect(config.model.coupling.hidden).toBe(8);
    expect(config.train.learningRate.warmupSteps).toBe(3);
    const bad = flowstudio(['train', '--preset', 'toy2d', '--set', 'model.blocksPerLevel=100', '--set', 'model.blocksPerLevl=3', '--set', 'train.seed=x']);
    expect(bad.status).toBe(1);
    expect(bad.stderr).toMatch(/--set model\.blocksPerLevel must be an integer ≤ 64, got 100/);
    expect(bad.stderr).toMatch(/--set model\.blocksPerLevl is not a setting \(known here: .*blocksPerLevel/);
    expect(bad.stderr).toMatch(/--set train\.seed must be an integer, got "x"/);
  });
});

describe('image commands on Fashion-MNIST', () => {
  const run = join(work, 'fm');
  const data = 'fashion-mnist:/usr/share/datasets/fashion-mnist';

  it('trains, evaluates, samples and perturbs', async () => {
    const trained = flowstudio(['train', '--preset', 'fashion-mnist-small', '--data', data, '--steps', '3', '--batch', '8', '--eval-n', '32', '--out', run, '--json']);
    expect(trained.status, trained.stderr).toBe(0);
    expect(Object.keys(trained.json)).toEqual(expect.arrayContaining(['backend', 'steps', 'imagesPerSecond', 'trainBpd', 'testBpd', 'initialTestBpd']));
    // Near the identity-like initialisation the bpd is close to the uniform-data value (~9.4).
    expect(trained.json['initialTestBpd'] as number).toBeGreaterThan(8);
    expect(trained.json['initialTestBpd'] as number).toBeLessThan(11);

    const evaluated = flowstudio(['eval', '--run', run, '--data', data, '--split', 'test', '--n', '32', '--json']);
    expect(evaluated.status, evaluated.stderr).toBe(0);
    expect(evaluated.json).toMatchObject({ steps: 3, split: 'test', count: 32 });
    // Same weights, same examples, same noise seed: eval reproduces the run's final figure.
    expect(evaluated.json['testBpd'] as number).toBeCloseTo(trained.json['testBpd'] as number, 4);

    const png = join(work, 'samples.png');
    const sampled = flowstudio(['sample', '--run', run, '--n', '9', '--temperature', '0.9', '--out', png, '--json']);
    expect(sampled.status, sampled.stderr).toBe(0);
    const meta = await sharp(png).metadata();
    expect(meta.width).toBeGreaterThanOrEqual(3 * 28);
    expect(meta.height).toBeGreaterThanOrEqual(3 * 28);

    const perturbed = join(work, 'perturb.png');
    const perturb = flowstudio(['perturb', '--run', run, '--image', 'test:0', '--keep-levels', '1', '--out', perturbed, '--json']);
    expect(perturb.status, perturb.stderr).toBe(0);
    expect(perturb.json['reconstructionError'] as number).toBeLessThan(1e-3);
    expect((await sharp(perturbed).metadata()).width).toBeGreaterThanOrEqual(3 * 28);
  });
});

describe('flowstudio check', () => {
  it('reports invertibility and log-det errors for a preset', () => {
    const ran = flowstudio(['check', '--preset', 'fashion-mnist-small', '--max-jacobian-dims', '64', '--json']);
    expect(ran.status, ran.stderr).toBe(0);
    expect(ran.json).toMatchObject({ preset: 'fashion-mnist-small' });
    expect(ran.json['invertibilityMaxAbsError'] as number).toBeLessThan(1e-4);
    expect(ran.json['logdetMaxRelError'] as number).toBeLessThan(1e-3);
    expect(['wasm', 'cpu', 'tensorflow']).toContain(ran.json['backend']);
  });
});

describe('bad input', () => {
  it('names the problem and exits non-zero', () => {
    const preset = flowstudio(['train', '--preset', 'cifar', '--json']);
    expect(preset.status).toBe(1);
    // The command's schema names the flag and what it accepts.
    expect(preset.stderr).toMatch(/--preset must be one of paper-cifar10, .*toy2d, .*toy2d-realnvp, got "cifar"/);
    const data = flowstudio(['train', '--preset', 'toy2d', '--data', 'toy:spiral', '--out', join(work, 'bad')]);
    expect(data.status).toBe(1);
    expect(data.stderr).toMatch(/unknown toy "spiral"/);
    const missing = flowstudio(['eval', '--run', join(work, 'no-run')]);
    expect(missing.status).toBe(1);
    expect(missing.stderr).toMatch(/is not a run folder/);
    const steps = flowstudio(['train', '--preset', 'toy2d', '--steps', 'many']);
    expect(steps.status).toBe(1);
    expect(steps.stderr).toMatch(/--steps must be an integer/);
  });
});

describe('flowstudio --threads', () => {
  it('sets the wasm thread count the engine runs and reports, and refuses a bad count by name', () => {
    const two = flowstudio(['--threads', '2', 'check', '--preset', 'toy2d'], { FLOWSTUDIO_BACKEND: 'wasm', FLOWSTUDIO_THREADS: '' });
    expect(two.status).toBe(0);
    expect(two.stderr + two.stdout).toMatch(/backend: wasm on CPU, 2 threads/);
    // Without the flag: the default, one thread (src-main/engine/backends/wasm.ts says why).
    const plain = flowstudio(['check', '--preset', 'toy2d'], { FLOWSTUDIO_BACKEND: 'wasm', FLOWSTUDIO_THREADS: '' });
    expect(plain.stderr + plain.stdout).toMatch(/backend: wasm on CPU, 1 thread,/);
    const bad = flowstudio(['--threads', 'zero', 'check', '--preset', 'toy2d']);
    expect(bad.status).toBe(1);
    expect(bad.stderr).toContain('--threads must be a whole number ≥ 1 or "all", got "zero"');
  });
});

describe('flowstudio --workers', () => {
  it('trains data-parallel on the built app (worker threads from out/main/gradientWorker.js) to the same losses as one process, and refuses a bad count by name', () => {
    const run = (workers: string, out: string): Ran =>
      flowstudio(['--workers', workers, 'train', '--preset', 'fashion-mnist-small', '--data', 'fashion-mnist:/usr/share/datasets/fashion-mnist', '--steps', '6', '--batch', '16', '--eval-n', '64', '--out', join(work, out), '--json'], { FLOWSTUDIO_BACKEND: 'wasm' });
    const two = run('2', 'workers-2');
    expect(two.status, two.stderr).toBe(0);
    expect(two.stderr + two.stdout).toMatch(/backend: wasm on CPU, 1 thread, SIMD, training on 2 data-parallel workers/);
    expect(two.stderr + two.stdout).toContain('training data-parallel on 2 workers (wasm, 1 thread each), batch 16 split into 2 shards');
    const one = run('1', 'workers-1');
    expect(one.status, one.stderr).toBe(0);
    expect(one.stderr + one.stdout).not.toContain('data-parallel');
    // Same initial weights, batches and noise: the runs differ only by float rounding.
    for (const key of ['initialTestBpd', 'trainBpd', 'testBpd']) {
      expect(Math.abs((two.json[key] as number) - (one.json[key] as number)), key).toBeLessThan(1e-4);
    }
    const bad = flowstudio(['--workers', 'zero', 'train', '--preset', 'toy2d']);
    expect(bad.status).toBe(1);
    expect(bad.stderr).toContain('--workers must be a whole number ≥ 1 or "all", got "zero"');
  });
});
