/** Sample commands answered by the engine. */
import type { HandlerMap } from '../context';

export const sampleHandlers: HandlerMap = {};
