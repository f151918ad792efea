/**
 * Theory commands answered by the engine: `bounds` (the reference lines of Sec. 2 for a data
 * split, with progress events) and `lipschitz` (per-block Lipschitz estimates of a run's model).
 */
import { createHash } from 'node:crypto';
import { runBounds } from '../theory/runBounds';
import type { HandlerMap } from '../context';

export const theoryHandlers: HandlerMap = {
  bounds: async ({ data, split }, ctx) => {
    const taskId = `bounds:${createHash('sha1').update(`${data}\n${split}`).digest('hex').slice(0, 12)}`;
    const report = await runBounds({
      data,
      split,
      onProgress: (update) =>
        ctx.emit('progress', {
          task: update.task.slice(0, 64),
          taskId,
          done: update.done,
          total: update.total,
          ratePerSecond: update.ratePerSecond,
          etaSeconds: update.etaSeconds,
          ...(update.message !== undefined ? { message: update.message.slice(0, 1024) } : {}),
        }),
      onWarning: (message) => ctx.log('warn', 'theory', message),
    });
    ctx.log(
      'info',
      'theory',
      `bounds of ${data} (${split}): PPCA ${report.detail.ppcaBpd.toFixed(4)} (${report.detail.ppcaMethod}), ` +
        `QLF ${report.detail.qlfBpd.toFixed(4)} bits/dim over ${report.bounds.count} examples in ${report.seconds.toFixed(1)} s`,
    );
    return report.bounds;
  },
};
