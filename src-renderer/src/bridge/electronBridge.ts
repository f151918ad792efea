/** The Bridge over Electron IPC, through the preload's `window.flowstudio`. */
import type { Bridge, CommandArgsIn, CommandName, CommandResult, PreloadApi } from '../../../src-shared/protocol';
import { EventHub, unwrapResponse } from './frames';

export function createElectronBridge(api: PreloadApi): Bridge {
  const hub = new EventHub();
  api.on((frame) => hub.dispatch(frame));
  return {
    kind: 'electron',
    async invoke<C extends CommandName>(command: C, args: CommandArgsIn<C>): Promise<CommandResult<C>> {
      return unwrapResponse(await api.invoke(command, args)) as CommandResult<C>;
    },
    on: (event, listener) => hub.on(event, listener),
  };
}
