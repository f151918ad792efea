/** Options shared by the commands that decode latents to a PNG file (sample, perturb). */
import type { Command } from 'commander';
import { numeric } from './flagArgs';

export function pngOutputOptions(command: Command, help: { temperature: string; seed: string }): Command {
  return command
    .option('--temperature <t>', help.temperature, numeric, 0.9)
    .option('--seed <n>', help.seed, numeric, 0)
    .requiredOption('--out <file.png>', 'output PNG')
    .option('--json', 'print one JSON object with the figures as the last line');
}
