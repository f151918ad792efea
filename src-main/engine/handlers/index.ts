/** Every engine command handler, merged from the domain files. */
import type { HandlerMap } from '../context';
import { dataHandlers } from './data';
import { presetHandlers } from './presets';
import { sampleHandlers } from './sample';
import { systemHandlers } from './system';
import { theoryHandlers } from './theory';
import { toyHandlers } from './toy';
import { trainHandlers } from './train';

export const handlers: HandlerMap = {
  ...systemHandlers,
  ...dataHandlers,
  ...trainHandlers,
  ...sampleHandlers,
  ...theoryHandlers,
  ...toyHandlers,
  ...presetHandlers,
};
