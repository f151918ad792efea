/**
 * What the coordinator (the engine's training process) and a gradient worker
 * (engine/gradientWorker.ts) say to each other over a worker_threads channel. Internal to the
 * engine, never from the network or the UI: both ends are this code, so the types are the
 * contract and a message of an unknown type is a bug reported by name.
 */
import type { MemoryMode, ModelConfig } from '../../../../src-shared/config';
import type { ShardLayout } from './shardResult';

export type WorkerBackend = 'wasm' | 'cpu';

export type ToWorker =
  /** Build the model: the same config and seed as the coordinator's (its constants, e.g. permutations, follow the seed). */
  | { type: 'init'; config: ModelConfig; seed: number; backend: WorkerBackend; memory: MemoryMode }
  /** One shard: the coordinator's weights now (flat, `model.variables` order) and the shard's rows. */
  | { type: 'step'; id: number; weights: Float32Array; x: Float32Array; shape: number[]; diagnostics: boolean };

export type FromWorker =
  | { type: 'ready'; threads: number }
  | { type: 'result'; id: number; data: Float32Array; layout: ShardLayout }
  | { type: 'error'; id: number | null; message: string };
