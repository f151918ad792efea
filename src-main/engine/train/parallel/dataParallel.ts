/**
 * Data-parallel training on a CPU backend: the batch is split into shards, this process
 * computes the first and worker threads (workerThread.ts) the others at the same time, each on
 * its own core, and the results combine into the whole batch's loss and gradients
 * (combineShards.ts). The optimiser, the guard and the diagnostics then run as for one process:
 * the update is the same (test/unit/train/dataParallel.test.ts), only computed faster.
 *
 * Why workers and not wasm threads: a fashion-mnist-small step is mostly small kernels whose
 * dispatch XNNPACK's threads cannot share, while a worker runs a whole half-batch, dispatch
 * included, on its own core (bench/RESULTS.md: a batch of 8 costs 0.6 of a batch of 16).
 *
 * Per step the coordinator makes one more read than a single process: its weights and the
 * workers' rows, packed in one vector. On a CPU backend that is a copy, not a device sync
 * (GPU backends never run data-parallel: `workerCount`). A worker that fails is reported once
 * and the run goes on in this process alone (the step that saw it recomputed here).
 */
import type { MemoryMode, ModelConfig } from '../../../../src-shared/config';
import type { FlowModel } from '../../flow/types';
import { type Tensor, tf } from '../../tf';
import { type GradientOptions, type GradientSource, type LossAndGradients, disposeGradients, lossAndGradientsYielding } from '../gradients';
import { combineShards } from './combineShards';
import { shardSizes, unpackShard } from './shardResult';
import type { WorkerBackend } from './workerMessages';
import { WorkerThread } from './workerThread';

export interface DataParallelOptions {
  /** The run's model config and the seed its model was built with (the workers build the same). */
  config: ModelConfig;
  seed: number;
  /** Processes computing a step, this one included (≥ 2). */
  workers: number;
  backend: WorkerBackend;
  memory: MemoryMode;
  onLog?(level: 'info' | 'warn', message: string): void;
}

export class DataParallelGradients {
  private readonly threads: WorkerThread[];
  private readonly ready: Promise<void>;
  private failure: string | null = null;
  private nextId = 1;

  constructor(private readonly options: DataParallelOptions) {
    if (!Number.isInteger(options.workers) || options.workers < 2) throw new Error(`data-parallel training needs at least 2 workers, got ${options.workers}`);
    this.threads = Array.from({ length: options.workers - 1 }, (_, i) => new WorkerThread(i + 1));
    const init = { type: 'init' as const, config: options.config, seed: options.seed, backend: options.backend, memory: options.memory };
    this.ready = Promise.all(this.threads.map((t) => t.request(init))).then(() => undefined);
    // A failed start is reported by the first step (which then runs alone), not as an unhandled rejection.
    this.ready.catch(() => {});
  }

  /** Processes that compute a step now: every worker, or 1 after a failure. */
  get size(): number {
    return this.failure ? 1 : this.threads.length + 1;
  }

  /** Resolves when every worker has built its model (or rejects with why one could not). */
  whenReady(): Promise<void> {
    return this.ready;
  }

  /** A `GradientSource` for train/step.ts. */
  readonly compute: GradientSource = async (model, config, x, options, between) => {
    const n = x.shape[0]!;
    if (this.failure || options.measureDrift || n < 2) return lossAndGradientsYielding(model, config, x, options, between);
    try {
      await this.ready;
    } catch (error) {
      this.degrade(error);
      return lossAndGradientsYielding(model, config, x, options, between);
    }
    const sizes = shardSizes(n, this.threads.length + 1);
    const rows = tf.split(x, sizes, 0);
    try {
      let remote: { results: Promise<LossAndGradients[]> };
      try {
        remote = await this.sendShards(model, rows.slice(1), options);
      } catch (error) {
        this.degrade(error);
        return lossAndGradientsYielding(model, config, x, options, between);
      }
      const own = await lossAndGradientsYielding(model, config, rows[0]!, options, between);
      let others: LossAndGradients[];
      try {
        others = await remote.results;
      } catch (error) {
        disposeGradients(own);
        this.degrade(error);
        return lossAndGradientsYielding(model, config, x, options, between);
      }
      const parts = [own, ...others];
      try {
        return combineShards(model, parts.map((result, i) => ({ result, n: sizes[i]! })));
      } finally {
        parts.forEach(disposeGradients);
      }
    } finally {
      tf.dispose(rows);
    }
  };

  async close(): Promise<void> {
    await Promise.all(this.threads.map((t) => t.terminate()));
  }

  /**
   * One read of this process's weights and the other shards' rows, then each worker gets its
   * request; resolves (after the read) to the promise of their unpacked results, wrapped so that
   * it is not awaited here, and already handled so that a worker failing during this process's
   * own shard is not an unhandled rejection (the caller awaits it after its shard).
   */
  private async sendShards(model: FlowModel, rows: Tensor[], options: GradientOptions): Promise<{ results: Promise<LossAndGradients[]> }> {
    const weightCount = model.variables.reduce((s, v) => s + v.size, 0);
    const flat = tf.tidy(() => tf.concat([...model.variables.map((v) => tf.reshape(v, [-1])), ...rows.map((r) => tf.reshape(r, [-1]))]));
    let host: Float32Array;
    try {
      host = (await flat.data()) as Float32Array;
    } finally {
      flat.dispose();
    }
    const weights = host.slice(0, weightCount);
    let at = weightCount;
    const answers = rows.map((r, i) => {
      const x = host.slice(at, at + r.size);
      at += r.size;
      return this.threads[i]!.request({ type: 'step', id: this.nextId++, weights, x, shape: r.shape, diagnostics: options.diagnostics });
    });
    const results = Promise.all(answers).then((all) =>
      all.map((answer) => {
        if (answer.type !== 'result') throw new Error(`gradient worker answered ${answer.type} to a step`);
        return unpackShard(model, answer.data, answer.layout);
      }),
    );
    results.catch(() => {});
    return { results };
  }

  private degrade(error: unknown): void {
    if (this.failure) return;
    this.failure = error instanceof Error ? error.message : String(error);
    this.options.onLog?.('warn', `data-parallel training stopped (${this.failure}); this run goes on in one process`);
    void this.close();
  }
}
