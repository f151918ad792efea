/** The whole command map: each domain file owns its commands. */
import type { z } from 'zod';
import { dataCommands } from './data';
import { evaluationCommands } from './evaluation';
import { experimentCommands } from './experiments';
import { presetCommands } from './presets';
import { sampleCommands } from './sample';
import { systemCommands } from './system';
import { theoryCommands } from './theory';
import { toyCommands } from './toy';
import { trainCommands } from './train';

export const commands = {
  ...systemCommands,
  ...dataCommands,
  ...trainCommands,
  ...sampleCommands,
  ...evaluationCommands,
  ...theoryCommands,
  ...experimentCommands,
  ...toyCommands,
  ...presetCommands,
} as const;

type Commands = typeof commands;
export type CommandName = keyof Commands;
/** Arguments as the caller writes them (defaults may be omitted). */
export type CommandArgsIn<C extends CommandName> = z.input<Commands[C]['args']>;
/** Arguments after validation (defaults filled in). */
export type CommandArgs<C extends CommandName> = z.output<Commands[C]['args']>;
export type CommandResult<C extends CommandName> = z.output<Commands[C]['result']>;

/** Commands the host answers itself; every other command goes to the engine process. */
const HOST_COMMANDS = ['getHostInfo', 'restartEngine', 'pickPath'] as const satisfies readonly CommandName[];
export type HostCommandName = (typeof HOST_COMMANDS)[number];
export type EngineCommandName = Exclude<CommandName, HostCommandName>;

export const COMMAND_NAMES = Object.keys(commands) as CommandName[];

export function isCommandName(name: string): name is CommandName {
  return Object.prototype.hasOwnProperty.call(commands, name);
}

export function isHostCommand(name: CommandName): name is HostCommandName {
  return (HOST_COMMANDS as readonly string[]).includes(name);
}

export * from './system';
export * from './data';
export * from './train';
export * from './sample';
export * from './evaluation';
export * from './theory';
export * from './experiments';
export * from './toy';
export * from './presets';

// Compile-time check that the preload's plain name list matches the schemas exactly.
type ListedCommand = (typeof import('../names').COMMAND_NAME_LIST)[number];
type Exact<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
const commandListMatches: Exact<ListedCommand, CommandName> = true;
void commandListMatches;
