/** Events: pushed from the engine (or host) to every connected client. */
import { z } from 'zod';
import { MetricsRecordSchema, RunSummarySchema } from './commands/train';

export const events = {
  /**
   * Training metrics, batched: every record since the previous event, in step order, none
   * dropped (the engine sends at most one event per ~100 ms per run; each record is also a line
   * of the run's metrics.jsonl).
   */
  metrics: z.object({ runId: z.string(), records: z.array(MetricsRecordSchema).min(1).max(100_000) }).strict(),
  /** Progress of a long task: dataset scan, cache build, evaluation, sampling. */
  progress: z
    .object({
      task: z.string().max(64),
      /** Identifies one task instance, so a UI can show several. */
      taskId: z.string().max(128),
      done: z.number().min(0),
      total: z.number().min(0).nullable(),
      ratePerSecond: z.number().min(0).nullable(),
      etaSeconds: z.number().min(0).nullable(),
      message: z.string().max(1024).optional(),
    })
    .strict(),
  /** A run changed state (started, paused, finished, failed, ...). */
  state: z.object({ run: RunSummarySchema, message: z.string().max(4096).optional() }).strict(),
  log: z
    .object({ level: z.enum(['debug', 'info', 'warn', 'error']), source: z.string().max(64), message: z.string().max(16_384) })
    .strict(),
  /** Something went wrong outside a request (engine crash, training failure). */
  error: z
    .object({
      code: z.string().max(64),
      message: z.string().max(16_384),
      runId: z.string().optional(),
      /** The engine process is gone; the host can start a new one (restartEngine). */
      engineLost: z.boolean().default(false),
    })
    .strict(),
} as const;

type Events = typeof events;
export type EventName = keyof Events;
export type EventPayload<E extends EventName> = z.output<Events[E]>;

export function isEventName(name: string): name is EventName {
  return Object.prototype.hasOwnProperty.call(events, name);
}

type ListedEvent = (typeof import('./names').EVENT_NAME_LIST)[number];
type Exact<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
const eventListMatches: Exact<ListedEvent, EventName> = true;
void eventListMatches;
