/** Registers every subcommand. */
import type { Command } from 'commander';
import { registerBounds } from './bounds';
import { registerServe } from './serve';
import { registerStart } from './start';

export function registerCommands(program: Command): void {
  registerStart(program);
  registerServe(program);
  registerBounds(program);
}
