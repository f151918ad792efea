/** `flowstudio lipschitz --run DIR`: per-block Lipschitz estimates of a run's model (the `lipschitz` command). */
import type { Command } from 'commander';
import { prepare } from '../engine';
import { showEvents } from '../events';
import { FlagArgs, type Numeric, numeric } from '../flagArgs';
import { info, printJson } from '../output';

type LipschitzFlags = { run: string; iterations?: Numeric; json?: boolean };

export async function runLipschitz(flags: LipschitzFlags): Promise<void> {
  const { engine, args, backend } = await prepare('lipschitz', FlagArgs.from(flags, { run: 'run.runDir', iterations: 'iterations' }));
  const stop = showEvents(engine, { progress: !flags.json });
  try {
    const { blocks } = await engine.invoke('lipschitz', args);
    if (flags.json) printJson({ backend: backend.active, runDir: flags.run, iterations: args.iterations, blocks });
    else for (const b of blocks) info(`${b.name}: ${b.estimate.toFixed(4)}`);
  } finally {
    stop();
  }
}

export function registerLipschitz(program: Command): void {
  program
    .command('lipschitz')
    .description("per-block Lipschitz estimates of a run's model at a few test examples (power iteration with JVPs)")
    .requiredOption('--run <dir>', 'run folder')
    .option('--iterations <n>', 'power iterations (default 20)', numeric)
    .option('--json', 'print one JSON object with the estimates as the last line')
    .action((flags: LipschitzFlags) => runLipschitz(flags));
}
