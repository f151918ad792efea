/**
 * Per-block Lipschitz estimates of the run on screen (Sec. 2.3 / 3.1), on request: the engine's
 * `lipschitz` command runs power iterations with JVPs at a few test examples. The result is kept
 * with the run and the step it was taken at, and dropped when another run is opened.
 */
import { defineStore } from 'pinia';
import { ref, shallowRef, watch } from 'vue';
import { describeFailure } from '../lib/errors';
import { useConnection } from './connection';
import { useRunsStore } from './runs';

export interface BlockEstimate {
  name: string;
  estimate: number;
  /** From the name (`L2.B3` → level 1, block 2, zero-based); null when it carries none. */
  level: number | null;
  block: number | null;
}

export interface LipschitzResult {
  runDir: string;
  /** The run's step when the estimate was asked for. */
  step: number;
  iterations: number;
  blocks: BlockEstimate[];
}

export const DEFAULT_ITERATIONS = 20;

/** `L2.B3` → {level: 1, block: 2}. */
export function parseBlockName(name: string): { level: number | null; block: number | null } {
  const match = /^L(\d+)\.B(\d+)/.exec(name);
  return match ? { level: Number(match[1]) - 1, block: Number(match[2]) - 1 } : { level: null, block: null };
}

export const useLipschitzStore = defineStore('lipschitz', () => {
  const connection = useConnection();
  const runs = useRunsStore();
  const result = shallowRef<LipschitzResult | null>(null);
  const busy = ref(false);
  const error = ref<string | null>(null);
  const iterations = ref(DEFAULT_ITERATIONS);

  async function estimate(): Promise<void> {
    const run = runs.runRef;
    const summary = runs.summary;
    if (!run || !summary) return;
    busy.value = true;
    error.value = null;
    const step = runs.step;
    try {
      const answer = await connection.get().invoke('lipschitz', { run, iterations: iterations.value });
      if (runs.summary?.runDir !== summary.runDir) return; // another run was opened meanwhile
      result.value = {
        runDir: summary.runDir,
        step,
        iterations: iterations.value,
        blocks: answer.blocks.map((b) => ({ ...b, ...parseBlockName(b.name) })),
      };
    } catch (e) {
      error.value = describeFailure('estimate the Lipschitz constants', e);
    } finally {
      busy.value = false;
    }
  }

  watch(
    () => runs.summary?.runDir,
    (dir) => {
      if (result.value && result.value.runDir !== dir) result.value = null;
      error.value = null;
    },
  );

  return { result, busy, error, iterations, estimate };
});
