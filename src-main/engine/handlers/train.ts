/** Training commands: start, resume, wait for, control, list and open runs. */
import { resolve } from 'node:path';
import { lossUnit } from '../../../src-shared/lossUnit';
import type { PresetName, RunOverrides } from '../../../src-shared/config';
import { type CommandResult, ProtocolError, type trainCommands } from '../../../src-shared/protocol';
import { overridesConflicts } from '../../../src-shared/settings';
import { initBackend } from '../backend';
import { type EngineContext, type Handlers, progressEvent } from '../context';
import { runManager } from '../state';
import { RunFolder } from '../train/runFolder';
import type { Trainer, TrainerCallbacks } from '../train/trainer';
import { MetricsBatcher } from './metricsBatch';

/** Trainer callbacks that become protocol events (metrics batched, flushed before each state change). */
export function eventCallbacks(ctx: EngineContext, source: string): TrainerCallbacks {
  let runId = '';
  const metrics = new MetricsBatcher((records) => ctx.emit('metrics', { runId, records }));
  return {
    onMetrics: (record) => metrics.push(record),
    onState: (run, message) => {
      metrics.flush();
      runId = run.runId;
      ctx.emit('state', message ? { run, message } : { run });
    },
    onLog: (level, message) => ctx.log(level, source, message),
    onProgress: (update) => ctx.emit('progress', progressEvent(update, `${runId}:${update.task}`)),
  };
}

function started(trainer: Trainer): CommandResult<'startTraining'> {
  return { run: trainer.summary(), layers: [...trainer.layers], config: trainer.config };
}

interface ResumeRequest {
  runDir: string;
  steps: number | undefined;
  preset: PresetName | undefined;
  expected: RunOverrides;
}

/**
 * Resumes a run by its folder: the config comes from config.json; given settings that differ
 * from it are refused, each named (only the total step count may change).
 */
async function resumeRun(request: ResumeRequest, ctx: EngineContext): Promise<CommandResult<'resumeTraining'>> {
  const folder = new RunFolder(resolve(request.runDir));
  const config = folder.readConfig();
  const conflicts = overridesConflicts(config, request.expected, ['train.steps']);
  if (request.preset !== undefined && request.preset !== config.preset) {
    conflicts.unshift(`preset: ${request.preset} was given, the run has ${config.preset}`);
  }
  if (conflicts.length > 0) {
    throw new ProtocolError('INVALID_ARGS', `${folder.dir} resumes with the settings of its config.json, and these differ`, conflicts);
  }
  await initBackend();
  const steps = request.steps ?? request.expected.train?.steps;
  const { trainer } = await runManager().start({
    preset: config.preset,
    overrides: steps !== undefined ? { train: { steps } } : {},
    runDir: folder.dir,
    resume: true,
    callbacks: eventCallbacks(ctx, 'train'),
  });
  return started(trainer);
}

export const trainHandlers: Handlers<keyof typeof trainCommands> = {
  startTraining: async (args, ctx) => {
    if (args.resume) {
      if (!args.runDir) throw new ProtocolError('INVALID_ARGS', 'resume needs the run folder (runDir)');
      return resumeRun({ runDir: args.runDir, steps: undefined, preset: args.preset, expected: args.overrides }, ctx);
    }
    await initBackend();
    const { trainer } = await runManager().start({
      preset: args.preset,
      overrides: args.overrides,
      ...(args.runDir ? { runDir: args.runDir } : {}),
      resume: false,
      callbacks: eventCallbacks(ctx, 'train'),
    });
    return started(trainer);
  },
  resumeTraining: async ({ runDir, steps, preset, expected }, ctx) => resumeRun({ runDir, steps, preset, expected: expected ?? {} }, ctx),
  waitForRun: async ({ runId }) => {
    const runs = runManager();
    const trainer = runs.get(runId);
    const summary = await runs.wait(runId);
    const run = trainer.summary();
    if (!summary) {
      const message = trainer.folder.readStatus()?.message;
      return { run, outcome: null, ...(message ? { message } : {}) };
    }
    return {
      run,
      outcome: {
        steps: summary.steps,
        imagesPerSecond: summary.imagesPerSecond,
        unit: lossUnit(trainer.config.model),
        initialTest: summary.initialTest,
        finalTest: summary.finalTest,
        finalTrain: summary.finalTrain,
      },
    };
  },
  controlTraining: async ({ runId, action }) => {
    const trainer = runManager().get(runId);
    if (action === 'pause') trainer.pause();
    else if (action === 'resume') trainer.resume();
    else trainer.stop();
    return { run: trainer.summary() };
  },
  listRuns: async ({ root }) => {
    const runs = runManager();
    return { active: runs.active().map((t) => t.summary()), onDisk: runs.onDisk(root) };
  },
  openRun: async ({ run, maxPoints }) => runManager().open(run, maxPoints),
};
