/**
 * The memory planner's verdict: the estimated peak of one training step (memoryPlan.ts) against
 * what the backend has (deviceMemory.ts), before a run allocates anything. An impossible run is
 * refused with a message that names both numbers and what to change (the batch size, the memory
 * mode, the backend or the model); a run that leaves little headroom gets a warning.
 */
import { type RunConfig, memoryModeOf } from '../../../src-shared/config';
import { type DeviceMemory, deviceMemory } from './deviceMemory';
import { type MemoryEstimate, estimateStepMemory, largestBatchWithin } from './memoryPlan';

/** Above this share of the available memory a run starts with a warning (the estimate is ±10–30%). */
export const TIGHT_FRACTION = 0.8;

export interface MemoryVerdict {
  verdict: 'fits' | 'tight' | 'too-large';
  estimate: MemoryEstimate;
  device: DeviceMemory;
  /** Empty when it fits. */
  message: string;
}

export class MemoryPlanError extends Error {
  constructor(
    message: string,
    readonly verdict: MemoryVerdict,
  ) {
    super(message);
    this.name = 'MemoryPlanError';
  }
}

const gib = (bytes: number): string => (bytes >= 2 ** 30 ? `${(bytes / 2 ** 30).toFixed(1)} GiB` : `${(bytes / 2 ** 20).toFixed(0)} MiB`);

/** Judges a run config against a device's memory (pure: no tensor, no read). */
export function judgeStepMemory(config: RunConfig, device: DeviceMemory): MemoryVerdict {
  const mode = memoryModeOf(config);
  const batch = config.train.batchSize;
  const estimate = estimateStepMemory(config.model, batch, mode);
  const what = `${config.preset} at batch ${batch} (train.memory=${mode})`;
  const needs =
    `needs about ${gib(estimate.peakBytes)} for one training step ` +
    `(weights, optimiser and gradients ${gib(estimate.parameterBytes + estimate.optimizerBytes + estimate.gradientBytes)}, ` +
    `activations ${gib(estimate.activationBytes + estimate.workingBytes)})`;
  const has = `the ${device.backend} backend has ${gib(device.availableBytes)}: ${device.source}`;

  const perBuffer = device.maxBufferBytes;
  if (perBuffer !== undefined && estimate.largestTensorBytes > perBuffer) {
    const batchFits = Math.max(0, Math.floor((perBuffer / estimate.largestTensorBytes) * batch));
    return {
      verdict: 'too-large',
      estimate,
      device,
      message:
        `${what}: its largest tensor takes about ${gib(estimate.largestTensorBytes)}, more than the ${gib(perBuffer)} ` +
        `one ${device.backend} buffer may hold (the adapter's maxStorageBufferBindingSize / maxBufferSize). ` +
        (batchFits >= 1 ? `Lower train.batchSize to ${batchFits} or less.` : 'Use a smaller model (coupling.hidden) or another backend.'),
    };
  }

  if (estimate.peakBytes > device.availableBytes) {
    const advice: string[] = [];
    const fitting = largestBatchWithin(config.model, mode, device.availableBytes);
    if (mode === 'store') {
      const recompute = estimateStepMemory(config.model, batch, 'recompute');
      const fittingRecompute = largestBatchWithin(config.model, 'recompute', device.availableBytes);
      if (recompute.peakBytes <= device.availableBytes) advice.push(`set train.memory=recompute (about ${gib(recompute.peakBytes)} at this batch)`);
      else if (fittingRecompute > fitting) advice.push(`set train.memory=recompute and lower train.batchSize to ${fittingRecompute} or less`);
    }
    if (fitting >= 1) advice.push(`lower train.batchSize to ${fitting} or less`);
    if (advice.length === 0) {
      const one = estimateStepMemory(config.model, 1, 'recompute');
      advice.push(
        `even batch 1 with train.memory=recompute needs about ${gib(one.peakBytes)}: use a backend with more memory ` +
          '(FLOWSTUDIO_BACKEND=webgpu or tensorflow on a GPU) or a smaller model (coupling.hidden, blocksPerLevel, inputShape)',
      );
    }
    return { verdict: 'too-large', estimate, device, message: `${what} ${needs}, but ${has}. To fit: ${advice.join('; or ')}.` };
  }
  if (estimate.peakBytes > TIGHT_FRACTION * device.availableBytes) {
    return { verdict: 'tight', estimate, device, message: `${what} ${needs}, close to what ${has}; it may run out of memory.` };
  }
  return { verdict: 'fits', estimate, device, message: '' };
}

/**
 * Refuses a run whose step cannot fit on the active backend (MemoryPlanError, before anything is
 * allocated) and reports a tight one through `warn`. Returns the verdict for callers that show it.
 */
export async function assertRunFits(config: RunConfig, warn?: (message: string) => void, options: { gpu?: boolean } = {}): Promise<MemoryVerdict> {
  const verdict = judgeStepMemory(config, await deviceMemory(options));
  if (verdict.verdict === 'too-large') throw new MemoryPlanError(verdict.message, verdict);
  if (verdict.verdict === 'tight') warn?.(verdict.message);
  return verdict;
}
