/** `listPresets`: every preset with its structure and analytic parameter count (presetCatalogue.ts). */
import type { presetCommands } from '../../../src-shared/protocol';
import type { Handlers } from '../context';
import { listPresets } from '../presetCatalogue';

export const presetHandlers: Handlers<keyof typeof presetCommands> = {
  listPresets: async () => ({ presets: listPresets() }),
};
