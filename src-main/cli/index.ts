/**
 * The `flowstudio` command line. Each subcommand lives in cli/commands/ and registers itself
 * here; errors print one line naming the problem and exit with code 1 (2 for usage errors).
 */
import { Command, CommanderError } from 'commander';
import { requestedThreads } from '../engine/backends/wasm';
import { requestedWorkers } from '../engine/backends/workers';
import { appVersion } from '../host/paths';
import { registerCommands } from './commands';

export function buildProgram(): Command {
  const program = new Command('flowstudio')
    .description('FlowStudio: train normalizing flows (Liao & He) and explore their latent space')
    .version(appVersion())
    .showHelpAfterError()
    .exitOverride()
    .option('--threads <n>', 'wasm backend threads for the engine (default 1; "all": every core); the same as FLOWSTUDIO_THREADS')
    .option('--workers <n>', 'data-parallel training workers on a CPU backend (default "all": one per core; 1: one process); the same as FLOWSTUDIO_WORKERS');
  // Before any subcommand starts an engine (in this process or a child, which inherits the env).
  program.hook('preAction', () => {
    const opts = program.opts<{ threads?: string; workers?: string }>();
    setCount('--threads', 'FLOWSTUDIO_THREADS', opts.threads, requestedThreads);
    setCount('--workers', 'FLOWSTUDIO_WORKERS', opts.workers, requestedWorkers);
  });
  registerCommands(program);
  return program;
}

/** A count option checked by the engine's own parser, then handed on through the environment. */
function setCount(flag: string, env: string, value: string | undefined, parse: (value: string) => number): void {
  if (value === undefined) return;
  try {
    parse(value);
  } catch {
    throw new Error(`${flag} must be a whole number ≥ 1 or "all", got "${value}"`);
  }
  process.env[env] = value.trim();
}

export async function main(argv: string[]): Promise<number> {
  const program = buildProgram();
  try {
    await program.parseAsync(argv, { from: 'user' });
    // A command may end by a signal it handled (train: 130 / 143 after its stop checkpoint).
    return typeof process.exitCode === 'number' ? process.exitCode : 0;
  } catch (error) {
    if (error instanceof CommanderError) {
      // --help and --version end here with exit code 0.
      return error.exitCode === 0 ? 0 : 2;
    }
    console.error(`flowstudio: ${error instanceof Error ? error.message : String(error)}`);
    return 1;
  }
}

// Run when executed as the CLI bundle (bin/flowstudio.js imports this module and calls main).
