/**
 * Entry of a data-parallel gradient worker (a Node worker thread; train/parallel/workerGroup.ts
 * starts it): its own tfjs on the coordinator's CPU backend, one wasm thread (the cores are
 * the workers'), the same model as the coordinator's. Per step it takes the coordinator's
 * weights and its rows of the batch, computes the loss and gradients of its shard in the run's
 * memory mode, and answers with one flat vector (train/parallel/shardResult.ts): one device
 * read per step here, a copy on a CPU backend.
 */
import { parentPort } from 'node:worker_threads';
import { initBackend } from './backend';
import { createFlowModel } from './flow/model';
import type { FlowModel } from './flow/types';
import { tf } from './tf';
import { lossAndGradients, disposeGradients } from './train/gradients';
import { type ShardLayout, packShard } from './train/parallel/shardResult';
import type { FromWorker, ToWorker } from './train/parallel/workerMessages';
import type { MemoryMode, ModelConfig } from '../../src-shared/config';

if (!parentPort) throw new Error('gradientWorker.ts runs as a worker thread (train/parallel/workerGroup.ts starts it)');
const port = parentPort;

let model: FlowModel | null = null;
let config: ModelConfig | null = null;
let memory: MemoryMode = 'store';

function send(message: FromWorker, transfer: ArrayBuffer[] = []): void {
  port.postMessage(message, transfer);
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** The coordinator's weights into this model's variables (same order, same shapes). */
function adoptWeights(m: FlowModel, weights: Float32Array): void {
  const total = m.variables.reduce((s, v) => s + v.size, 0);
  if (weights.length !== total) throw new Error(`the coordinator sent ${weights.length} weights, this model has ${total}`);
  let at = 0;
  for (const v of m.variables) {
    tf.tidy(() => (v as tf.Variable).assign(tf.tensor(weights.subarray(at, at + v.size), v.shape, 'float32')));
    at += v.size;
  }
}

async function step(message: Extract<ToWorker, { type: 'step' }>): Promise<void> {
  if (!model || !config) throw new Error('step before init');
  adoptWeights(model, message.weights);
  const x = tf.tensor(message.x, message.shape, 'float32');
  let packedData: Float32Array;
  let layout: ShardLayout;
  try {
    const result = lossAndGradients(model, config, x, { memory, diagnostics: message.diagnostics });
    try {
      const shard = packShard(model, result);
      layout = shard.layout;
      try {
        packedData = (await shard.packed.data()) as Float32Array;
      } finally {
        shard.packed.dispose();
      }
    } finally {
      disposeGradients(result);
    }
  } finally {
    x.dispose();
  }
  send({ type: 'result', id: message.id, data: packedData, layout }, [packedData.buffer as ArrayBuffer]);
}

async function handle(message: ToWorker): Promise<void> {
  if (message.type === 'init') {
    const info = await initBackend(message.backend, { threads: 1 });
    model = createFlowModel(message.config, { seed: message.seed });
    config = message.config;
    memory = message.memory;
    send({ type: 'ready', threads: info.threads ?? 1 });
    return;
  }
  if (message.type === 'step') return step(message);
  throw new Error(`unknown message type ${JSON.stringify((message as { type?: unknown }).type)}`);
}

// One message at a time, in order: the coordinator sends the next step only after this one's answer.
let queue: Promise<void> = Promise.resolve();
port.on('message', (message: ToWorker) => {
  queue = queue.then(() =>
    handle(message).catch((error: unknown) => send({ type: 'error', id: message.type === 'step' ? message.id : null, message: messageOf(error) })),
  );
});
