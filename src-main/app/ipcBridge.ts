/**
 * The one IPC channel: the preload's `invoke(command, args)` arrives here and goes to the same
 * router the WebSocket host uses (which validates it). Only the top frame of the studio page
 * in the app's own window may call it.
 */
import { type IpcMainInvokeEvent, ipcMain } from 'electron';
import { IPC_INVOKE_CHANNEL, PROTOCOL_VERSION, ProtocolError, type ResponseFrame, errorResponse } from '../../src-shared/protocol';
import type { AppContext, AppModule } from './context';

/** Why a sender is refused, or null when it is the studio page of the main window. */
export function refuseSender(event: IpcMainInvokeEvent, context: AppContext): string | null {
  const window = context.windows.current();
  if (!window || event.sender !== window.webContents) return 'sender is not the FlowStudio window';
  const frame = event.senderFrame;
  if (!frame || frame.parent !== null) return 'sender is not the top frame of the FlowStudio window';
  let url: URL;
  try {
    url = new URL(frame.url);
  } catch {
    return 'sender page has no valid URL';
  }
  const own = new URL(context.files.rendererUrl);
  if (url.protocol !== own.protocol || url.host !== own.host || url.pathname !== own.pathname) return 'sender page is not the FlowStudio renderer';
  return null;
}

export const ipcBridge: AppModule = {
  enable(context) {
    let requestCounter = 0;
    ipcMain.handle(IPC_INVOKE_CHANNEL, async (event, command: unknown, args: unknown): Promise<ResponseFrame> => {
      const refused = refuseSender(event, context);
      if (refused) return errorResponse(null, new ProtocolError('BAD_FRAME', refused).toInfo());
      requestCounter += 1;
      return context.router.handle({ v: PROTOCOL_VERSION, type: 'request', id: requestCounter, command, args });
    });
  },
};
