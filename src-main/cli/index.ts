/**
 * The `flowstudio` command line. Each subcommand lives in cli/commands/ and registers itself
 * here; errors print one line naming the problem and exit with code 1 (2 for usage errors).
 */
import { Command, CommanderError } from 'commander';
import { appVersion } from '../host/paths';
import { registerCommands } from './commands';

export function buildProgram(): Command {
  const program = new Command('flowstudio')
    .description('FlowStudio: train normalizing flows (Liao & He) and explore their latent space')
    .version(appVersion())
    .showHelpAfterError()
    .exitOverride();
  registerCommands(program);
  return program;
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
