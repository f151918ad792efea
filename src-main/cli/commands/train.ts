/**
 * `flowstudio train`: starts (`startTraining`) or resumes by folder (`resumeTraining`) a run
 * in this process's engine, shows a progress bar fed by its metrics events, and waits for it
 * (`waitForRun`); with --json a final line of figures. Flags are checked by the commands'
 * schemas; `--set path=value` overrides any config field.
 */
import { Presets, SingleBar } from 'cli-progress';
import type { Command } from 'commander';
import { PresetNameSchema, resolveRunConfig } from '../../../src-shared/config';
import { type CommandArgs, type MetricsRecord, backendSummary } from '../../../src-shared/protocol';
import { CliEngine } from '../engine';
import { showEvents } from '../events';
import { FlagArgs, collect, numeric, relabelDetails } from '../flagArgs';
import { info, printJson } from '../output';

interface TrainFlags {
  preset?: string;
  data?: string;
  steps?: number | string;
  batch?: number | string;
  seed?: number | string;
  evalN?: number | string;
  evalEvery?: number | string;
  lr?: number | string;
  warmup?: number | string;
  checkpointSeconds?: number | string;
  set?: string[];
  out?: string;
  resume?: boolean;
  json?: boolean;
}

/** The flags that are config fields, by their path under RunOverrides. */
function configFlags(args: FlagArgs, prefix: string, flags: TrainFlags): FlagArgs {
  return args
    .set(`${prefix}.data`, flags.data, '--data')
    .set(`${prefix}.train.batchSize`, flags.batch, '--batch')
    .set(`${prefix}.train.seed`, flags.seed, '--seed')
    .set(`${prefix}.train.evalN`, flags.evalN, '--eval-n')
    .set(`${prefix}.train.evalEvery`, flags.evalEvery, '--eval-every')
    .set(`${prefix}.train.learningRate.initial`, flags.lr, '--lr')
    .set(`${prefix}.train.learningRate.warmupSteps`, flags.warmup, '--warmup')
    .set(`${prefix}.train.checkpointSeconds`, flags.checkpointSeconds, '--checkpoint-seconds')
    .settings(prefix, flags.set);
}

function startArgs(engine: CliEngine, flags: TrainFlags): CommandArgs<'startTraining'> {
  const built = configFlags(new FlagArgs().set('preset', flags.preset, '--preset').set('runDir', flags.out, '--out'), 'overrides', flags);
  built.set('overrides.train.steps', flags.steps, '--steps');
  const args = engine.validate('startTraining', built.value, built.label);
  // --lr decays to the preset's floor, or stays where it is when it starts below it.
  const lr = args.overrides.train?.learningRate;
  if (lr?.initial !== undefined && lr.final === undefined) {
    const floor = resolveRunConfig(args.preset, args.overrides).train.learningRate.final;
    if (lr.initial < floor) lr.final = lr.initial;
  }
  return args;
}

function resumeArgs(engine: CliEngine, flags: TrainFlags): { args: CommandArgs<'resumeTraining'>; flags: FlagArgs } {
  if (flags.out === undefined) throw new Error('--resume needs --out DIR, the folder of the run to continue');
  const built = configFlags(new FlagArgs().set('runDir', flags.out, '--out'), 'expected', flags);
  built.set('steps', flags.steps, '--steps').set('preset', flags.preset, '--preset');
  return { args: engine.validate('resumeTraining', built.value, built.label), flags: built };
}

/** Step progress: a bar on a terminal, a line every 10 steps and at evaluations elsewhere; nothing with --json. */
function stepView(flags: TrainFlags): { onRecords: (records: MetricsRecord[]) => void; start: (total: number, step: number) => void; stop: () => void } {
  const bar = flags.json || !process.stderr.isTTY ? null : new SingleBar({ format: 'train |{bar}| {value}/{total} steps | {loss} | {ips} img/s', hideCursor: true }, Presets.shades_classic);
  let lastLogged = 0;
  const onRecord = (r: MetricsRecord): void => {
    const loss = r.trainBpd !== undefined ? `${r.trainBpd.toFixed(3)} bpd` : r.trainNll !== undefined ? `${r.trainNll.toFixed(3)} nats` : '';
    if (bar) bar.update(r.step, { loss, ips: (r.imagesPerSecond ?? 0).toFixed(1) });
    else if (!flags.json && (r.step - lastLogged >= 10 || r.testBpd !== undefined || r.testNll !== undefined)) {
      lastLogged = r.step;
      const test = r.testBpd !== undefined ? ` test ${r.testBpd.toFixed(3)} bpd` : r.testNll !== undefined ? ` test ${r.testNll.toFixed(3)} nats` : '';
      info(`step ${r.step}${loss ? ` train ${loss}` : ''}${test}`);
    }
  };
  return {
    onRecords: (records) => records.forEach(onRecord),
    start: (total, step) => bar?.start(total, step, { loss: '', ips: '0' }),
    stop: () => bar?.stop(),
  };
}

/**
 * Ctrl-C / SIGTERM while training: the run is stopped, which writes a checkpoint of the last
 * finished step, and the command exits 130 / 143 after it (nothing done is lost). A second
 * signal exits at once (the interrupted checkpoint write leaves the previous one intact).
 */
function stopOnSignals(engine: CliEngine): { attach: (runId: string) => void; signal: () => NodeJS.Signals | null; detach: () => void } {
  let received: NodeJS.Signals | null = null;
  let runId: string | null = null;
  const stop = (): void => {
    if (runId) void engine.invoke('controlTraining', { runId, action: 'stop' }).catch(() => undefined);
  };
  const onSignal = (signal: NodeJS.Signals): void => {
    if (received) {
      // A second Ctrl-C: leave now. A checkpoint being written is atomic, so the run folder
      // keeps the previous one intact; only the work since it is lost.
      info(`${signal} again: exiting without waiting for the checkpoint`);
      process.exit(signal === 'SIGINT' ? 130 : 143);
    }
    received = signal;
    info(`${signal}: stopping after the current step and writing a checkpoint`);
    stop();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  return {
    attach: (id) => {
      runId = id;
      if (received) stop();
    },
    signal: () => received,
    detach: () => {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
    },
  };
}

export async function runTrain(flags: TrainFlags): Promise<void> {
  const engine = new CliEngine();
  const resume = flags.resume ? resumeArgs(engine, flags) : null;
  const start = resume ? null : startArgs(engine, flags);
  const backend = await engine.invoke('getBackendInfo', {});
  info(`backend: ${backendSummary(backend)}`);
  // The dataset's first scan / cache build gets its own bar; the steps have theirs.
  const stopEvents = showEvents(engine, { progress: !flags.json, taskFilter: (id) => id.startsWith('data:') });
  const steps = stepView(flags);
  const offMetrics = engine.on('metrics', ({ records }) => steps.onRecords(records));
  const signals = stopOnSignals(engine);
  try {
    const started = resume
      ? await engine.invoke('resumeTraining', resume.args).catch((error: unknown) => {
          // The engine names the config paths that differ; say which flags they came from.
          throw relabelDetails(error, resume.flags, 'expected');
        })
      : await engine.invoke('startTraining', start!);
    signals.attach(started.run.runId);
    steps.start(started.run.totalSteps, started.run.step);
    const { run, outcome, message } = await engine.invoke('waitForRun', { runId: started.run.runId });
    steps.stop();
    if (!outcome) throw new Error(`training failed: ${message ?? 'see the log above'}`);
    const toy = outcome.unit === 'nats';
    const result = {
      backend: backend.active,
      preset: started.config.preset,
      runDir: run.runDir,
      state: run.state,
      steps: outcome.steps,
      imagesPerSecond: outcome.imagesPerSecond,
      ...(toy
        ? { initialTestNll: outcome.initialTest, trainNll: outcome.finalTrain, testNll: outcome.finalTest }
        : { initialTestBpd: outcome.initialTest, trainBpd: outcome.finalTrain, testBpd: outcome.finalTest }),
    };
    if (flags.json) printJson(result);
    else info(`done: ${JSON.stringify(result)}`);
    const signal = signals.signal();
    if (signal && run.state === 'stopped') {
      info(`stopped at step ${run.step} of ${run.totalSteps} with a checkpoint; continue with: flowstudio train --out ${run.runDir} --resume`);
      process.exitCode = signal === 'SIGINT' ? 130 : 143;
    }
  } finally {
    signals.detach();
    steps.stop();
    offMetrics();
    stopEvents();
  }
}

export function registerTrain(program: Command): void {
  program
    .command('train')
    .description('train a preset on a dataset, or continue a run from its folder; the run folder holds config, checkpoints and metrics')
    .option('--preset <name>', `one of ${PresetNameSchema.options.join(', ')} (not needed with --resume)`)
    .option('--data <spec>', 'data spec, e.g. fashion-mnist:/usr/share/datasets/fashion-mnist or toy:two-moons')
    .option('--steps <n>', 'optimisation steps (with --resume: the new total, to extend a run)', numeric)
    .option('--batch <n>', 'batch size', numeric)
    .option('--seed <n>', 'seed of initialisation, shuffling and noise', numeric)
    .option('--eval-n <n>', 'test examples used by the initial, periodic and final test figures', numeric)
    .option('--eval-every <n>', 'evaluate every n steps (0: start and end only)', numeric)
    .option('--lr <rate>', 'initial learning rate (decays to the preset floor, or stays if lower)', numeric)
    .option('--warmup <steps>', 'linear learning-rate warm-up steps (paper presets: 500)', numeric)
    .option('--checkpoint-seconds <n>', 'also checkpoint when n seconds passed since the last checkpoint (default 120; 0: every checkpointEvery steps only)', numeric)
    .option('--set <path=value>', 'override any config field, e.g. --set model.blocksPerLevel=32 (repeatable; value is JSON or a bare string)', collect)
    .option('--out <dir>', 'run folder (default runs/<preset>-<time>)')
    .option('--resume', "continue the run in --out from its last checkpoint, with the settings of its config.json (flags that differ are refused)")
    .option('--json', 'print one JSON object with the figures as the last line')
    .action((flags: TrainFlags) => runTrain(flags));
}
