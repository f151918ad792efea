/**
 * `flowstudio check --preset P`: the `check` command: the preset's flow (with `--set model.*`
 * overrides) with parameters moved away from the initialisation; the round-trip error at the
 * full input size and the log-det against the autodiff Jacobian (on the smallest input the
 * levels allow when d is large, reported as logdetInputShape).
 */
import type { Command } from 'commander';
import { PresetNameSchema } from '../../../src-shared/config';
import { prepare } from '../engine';
import { FlagArgs, type Numeric, collect, numeric } from '../flagArgs';
import { info, printJson } from '../output';

type CheckFlags = { preset: string; seed: Numeric; perturb: Numeric; maxJacobianDims: Numeric; set?: string[]; json?: boolean };

export async function runCheck(flags: CheckFlags): Promise<void> {
  const fields = { preset: 'preset', seed: 'seed', perturb: 'perturb', maxJacobianDims: 'maxJacobianDims' };
  const { engine, args, backend } = await prepare('check', FlagArgs.from(flags, fields).settings('overrides', flags.set));
  const r = await engine.invoke('check', args);
  if (flags.json) printJson({ backend: backend.active, ...r });
  else {
    info(`preset ${r.preset}`);
    info(`invertibility: max |x - f⁻¹(f(x))| = ${r.invertibilityMaxAbsError.toExponential(2)} at ${r.inputShape.join('×')}`);
    info(`log-det: model ${r.logdetModel.toFixed(5)} vs autodiff ${r.logdetAutodiff.toFixed(5)} (relative error ${r.logdetMaxRelError.toExponential(2)}) at ${r.logdetInputShape.join('×')}`);
  }
}

export function registerCheck(program: Command): void {
  program
    .command('check')
    .description("check a preset's flow: invertibility error and log-det against the autodiff Jacobian")
    .requiredOption('--preset <name>', `one of ${PresetNameSchema.options.join(', ')}`)
    .option('--seed <n>', 'seed of the parameters and inputs', numeric, 0)
    .option(
      '--perturb <std>',
      'Gaussian noise added to every parameter to leave the near-identity initialisation (0.02 moves the log-det by tens of nats; much larger makes 8 stacked random coupling nets so steep that float32 round-off dominates the round trip)',
      numeric,
      0.02,
    )
    .option('--max-jacobian-dims <d>', 'largest input (dimensions) for the full-Jacobian log-det check', numeric, 256)
    .option('--set <path=value>', 'override a model field of the preset, e.g. --set model.blocksPerLevel=2 (repeatable)', collect)
    .option('--json', 'print one JSON object with the figures as the last line')
    .action((flags: CheckFlags) => runCheck(flags));
}
