/**
 * Peak tfjs memory while a function runs, for the memory planner's checks and the benchmark.
 *
 * Two counts, both sampled at every tensor allocation (not once per kernel, as tf.profile does;
 * tf.profile also reads every kernel's output back, which a measurement must not do):
 * - `peakBufferBytes`: the bytes of the distinct data buffers alive, what the device holds.
 *   Reshapes, clones and variables' initial values share a buffer and count once;
 * - `peakTensorBytes`: tfjs's own `tf.memory().numBytes` at its highest, which counts every
 *   tensor, views included (so it is at least the buffer count).
 * Both are absolute (everything alive, variables included); `startBufferBytes` and
 * `startTensorBytes` say what was alive before (the buffer count starts from tfjs's count, as
 * tfjs cannot list its buffers; buffers made or freed during the call are counted exactly). This wraps two methods of the tfjs engine
 * (`trackTensor`, `removeDataId`) for the duration of the call and restores them after.
 */
import { tf } from '../tf';

interface BufferInfo {
  bytes: number;
  backend: unknown;
}

interface EngineInternals {
  state: { numBytes: number; tensorInfo: WeakMap<object, BufferInfo> };
  trackTensor(a: { dataId: object }, backend: unknown): void;
  removeDataId(dataId: object, backend: unknown): void;
}

export interface PeakMemory<T> {
  result: T;
  peakBufferBytes: number;
  peakTensorBytes: number;
  startBufferBytes: number;
  startTensorBytes: number;
}

let active = false;

export async function measurePeakMemory<T>(f: () => Promise<T> | T): Promise<PeakMemory<T>> {
  if (active) throw new Error('measurePeakMemory: already measuring (calls cannot nest)');
  const engine = tf.engine() as unknown as EngineInternals;
  const { state } = engine;
  // tfjs keeps buffers in a WeakMap, which cannot be walked: what was alive before counts as
  // tfjs counts it (at rest that is variables, optimiser slots and the batch: no views).
  const startTensorBytes = state.numBytes;
  const startBufferBytes = startTensorBytes;
  let buffers = startBufferBytes;
  let peakBufferBytes = buffers;
  let peakTensorBytes = state.numBytes;
  const track = engine.trackTensor;
  const remove = engine.removeDataId;
  const own = (name: string): boolean => Object.prototype.hasOwnProperty.call(engine, name);
  const [ownTrack, ownRemove] = [own('trackTensor'), own('removeDataId')];
  engine.trackTensor = function (this: EngineInternals, a, backend) {
    const known = this.state.tensorInfo.has(a.dataId);
    track.call(this, a, backend);
    if (!known) buffers += this.state.tensorInfo.get(a.dataId)?.bytes ?? 0;
    peakBufferBytes = Math.max(peakBufferBytes, buffers);
    peakTensorBytes = Math.max(peakTensorBytes, this.state.numBytes);
  };
  engine.removeDataId = function (this: EngineInternals, dataId, backend) {
    const info = this.state.tensorInfo.get(dataId);
    if (info && info.backend === backend) buffers -= info.bytes;
    remove.call(this, dataId, backend);
  };
  active = true;
  try {
    const result = await f();
    return { result, peakBufferBytes, peakTensorBytes, startBufferBytes, startTensorBytes };
  } finally {
    // Back to the prototype's methods (or to what another wrapper had put there).
    if (ownTrack) engine.trackTensor = track;
    else delete (engine as Partial<EngineInternals>).trackTensor;
    if (ownRemove) engine.removeDataId = remove;
    else delete (engine as Partial<EngineInternals>).removeDataId;
    active = false;
  }
}
