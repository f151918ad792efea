/** Every engine command handler, merged from the domain files (HandlerMap is total: none may be missing). */
import type { HandlerMap } from '../context';
import { dataHandlers } from './data';
import { evaluationHandlers } from './evaluation';
import { experimentHandlers } from './experiments';
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
  ...evaluationHandlers,
  ...theoryHandlers,
  ...experimentHandlers,
  ...toyHandlers,
  ...presetHandlers,
};
