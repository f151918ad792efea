/**
 * `flowstudio train`: trains a preset on a dataset in this process (no engine child: nothing
 * to keep responsive), with a progress bar, and with --json a final line of figures.
 */
import { Presets, SingleBar } from 'cli-progress';
import type { Command } from 'commander';
import { PRESETS, PresetNameSchema, type RunOverrides } from '../../../src-shared/config';
import { openDataset } from '../../data';
import { createProgressBar } from '../../data/progressBar';
import { backendSummary, initBackend } from '../../engine/backend';
import { RunManager } from '../../engine/runs/runManager';
import { info, intFlag, numberFlag, printJson } from '../output';

interface TrainFlags {
  preset: string;
  data?: string;
  steps?: string;
  batch?: string;
  seed?: string;
  evalN?: string;
  evalEvery?: string;
  lr?: string;
  warmup?: string;
  out?: string;
  resume?: boolean;
  json?: boolean;
}

export async function runTrain(flags: TrainFlags): Promise<void> {
  const preset = PresetNameSchema.safeParse(flags.preset);
  if (!preset.success) throw new Error(`unknown preset "${flags.preset}"; known: ${PresetNameSchema.options.join(', ')}`);
  const train: NonNullable<RunOverrides['train']> = {};
  const steps = intFlag('steps', flags.steps, 0);
  const batch = intFlag('batch', flags.batch, 1, 65536);
  const seed = intFlag('seed', flags.seed, 0, 2 ** 31 - 1);
  const evalN = intFlag('eval-n', flags.evalN, 1);
  const evalEvery = intFlag('eval-every', flags.evalEvery, 0);
  if (steps !== undefined) train.steps = steps;
  if (batch !== undefined) train.batchSize = batch;
  if (seed !== undefined) train.seed = seed;
  if (evalN !== undefined) train.evalN = evalN;
  if (evalEvery !== undefined) train.evalEvery = evalEvery;
  const lr = numberFlag('lr', flags.lr, 1e-9, 10);
  const warmup = intFlag('warmup', flags.warmup, 0);
  if (lr !== undefined || warmup !== undefined) {
    train.learningRate = {
      ...(lr !== undefined ? { initial: lr, final: Math.min(lr, PRESETS[preset.data].train.learningRate.final) } : {}),
      ...(warmup !== undefined ? { warmupSteps: warmup } : {}),
    };
  }
  const overrides: RunOverrides = { train, ...(flags.data ? { data: flags.data } : {}) };

  const backend = await initBackend();
  info(`backend: ${backendSummary(backend)}`);
  const bar = flags.json || !process.stderr.isTTY ? null : new SingleBar({ format: 'train |{bar}| {value}/{total} steps | {loss} | {ips} img/s', hideCursor: true }, Presets.shades_classic);
  let lastLogged = 0;
  // The dataset's first scan / cache build gets its own bar (or periodic lines off a terminal).
  const manager = new RunManager(async (spec, options) => {
    if (flags.json) return openDataset(spec, options);
    const progress = createProgressBar();
    try {
      return await openDataset(spec, { ...options, onProgress: progress.onProgress });
    } finally {
      progress.stop();
    }
  });
  const { trainer, done } = await manager.start({
    preset: preset.data,
    overrides,
    ...(flags.out ? { runDir: flags.out } : {}),
    resume: Boolean(flags.resume),
    callbacks: {
      onMetrics: (r) => {
        const loss = r.trainBpd !== undefined ? `${r.trainBpd.toFixed(3)} bpd` : r.trainNll !== undefined ? `${r.trainNll.toFixed(3)} nats` : '';
        if (bar) bar.update(r.step, { loss, ips: (r.imagesPerSecond ?? 0).toFixed(1) });
        else if (!flags.json && (r.step - lastLogged >= 10 || r.testBpd !== undefined || r.testNll !== undefined)) {
          lastLogged = r.step;
          const test = r.testBpd !== undefined ? ` test ${r.testBpd.toFixed(3)} bpd` : r.testNll !== undefined ? ` test ${r.testNll.toFixed(3)} nats` : '';
          info(`step ${r.step}${loss ? ` train ${loss}` : ''}${test}`);
        }
      },
      onLog: (level, message) => {
        if (level !== 'debug') info(`${level}: ${message}`);
      },
    },
  });
  bar?.start(trainer.config.train.steps, trainer.step, { loss: '', ips: '0' });
  const summary = await done;
  bar?.stop();
  if (!summary) throw new Error(`training failed: ${trainer.folder.readStatus()?.message ?? 'see the log above'}`);
  const toy = trainer.config.model.inputShape.length === 1;
  const result = {
    backend: backend.active,
    preset: trainer.config.preset,
    runDir: trainer.folder.dir,
    state: summary.state,
    steps: summary.steps,
    imagesPerSecond: summary.imagesPerSecond,
    ...(toy
      ? { initialTestNll: summary.initialTest, trainNll: summary.finalTrain, testNll: summary.finalTest }
      : { initialTestBpd: summary.initialTest, trainBpd: summary.finalTrain, testBpd: summary.finalTest }),
  };
  if (flags.json) printJson(result);
  else info(`done: ${JSON.stringify(result)}`);
}

export function registerTrain(program: Command): void {
  program
    .command('train')
    .description('train a preset on a dataset; the run folder holds config, checkpoints and metrics')
    .requiredOption('--preset <name>', `one of ${PresetNameSchema.options.join(', ')}`)
    .option('--data <spec>', 'data spec, e.g. fashion-mnist:/usr/share/datasets/fashion-mnist or toy:two-moons')
    .option('--steps <n>', 'optimisation steps')
    .option('--batch <n>', 'batch size')
    .option('--seed <n>', 'seed of initialisation, shuffling and noise')
    .option('--eval-n <n>', 'test examples used by the initial, periodic and final test figures')
    .option('--eval-every <n>', 'evaluate every n steps (0: start and end only)')
    .option('--lr <rate>', 'initial learning rate (decays to the preset floor, or stays if lower)')
    .option('--warmup <steps>', 'linear learning-rate warm-up steps (paper presets: 500)')
    .option('--out <dir>', 'run folder (default runs/<preset>-<time>)')
    .option('--resume', 'continue the run in --out from its last checkpoint')
    .option('--json', 'print one JSON object with the figures as the last line')
    .action((flags: TrainFlags) => runTrain(flags));
}
