/** Training commands: start, control, list and open runs. */
import { initBackend } from '../backend';
import { type EngineContext, type HandlerMap, progressEvent } from '../context';
import { runManager } from '../state';
import type { TrainerCallbacks } from '../train/trainer';

/** Trainer callbacks that become protocol events. */
export function eventCallbacks(ctx: EngineContext, source: string): TrainerCallbacks {
  let runId = '';
  return {
    onMetrics: (record) => ctx.emit('metrics', { runId, record }),
    onState: (run, message) => {
      runId = run.runId;
      ctx.emit('state', message ? { run, message } : { run });
    },
    onLog: (level, message) => ctx.log(level, source, message),
    onProgress: (update) => ctx.emit('progress', progressEvent(update, `${runId}:${update.task}`)),
  };
}

export const trainHandlers: HandlerMap = {
  startTraining: async (args, ctx) => {
    await initBackend();
    const { trainer } = await runManager().start({
      preset: args.preset,
      overrides: args.overrides,
      ...(args.runDir ? { runDir: args.runDir } : {}),
      resume: args.resume,
      callbacks: eventCallbacks(ctx, 'train'),
    });
    return { run: trainer.summary(), layers: [...trainer.layers], config: trainer.config };
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
