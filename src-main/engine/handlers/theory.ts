/** Theory commands answered by the engine. */
import type { HandlerMap } from '../context';

export const theoryHandlers: HandlerMap = {};
