/** Registers every subcommand. */
import type { Command } from 'commander';
import { registerAblate } from './ablate';
import { registerBounds } from './bounds';
import { registerCheck } from './check';
import { registerEval } from './eval';
import { registerLipschitz } from './lipschitz';
import { registerPerturb } from './perturb';
import { registerPresets } from './presets';
import { registerSample } from './sample';
import { registerServe } from './serve';
import { registerStart } from './start';
import { registerTrain } from './train';

export function registerCommands(program: Command): void {
  registerStart(program);
  registerServe(program);
  registerTrain(program);
  registerEval(program);
  registerSample(program);
  registerPerturb(program);
  registerCheck(program);
  registerBounds(program);
  registerAblate(program);
  registerLipschitz(program);
  registerPresets(program);
}
