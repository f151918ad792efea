/** Picks the transport: the Electron preload's bridge when present, else the WebSocket. */
import type { Bridge, PreloadApi } from '../../../src-shared/protocol';
import { createElectronBridge } from './electronBridge';
import { createWebSocketBridge } from './websocketBridge';

export function createBridge(win: Window & { flowstudio?: PreloadApi } = window): Bridge {
  if (win.flowstudio) return createElectronBridge(win.flowstudio);
  const token = new URLSearchParams(win.location.search).get('token') ?? '';
  const scheme = win.location.protocol === 'https:' ? 'wss' : 'ws';
  return createWebSocketBridge(`${scheme}://${win.location.host}/ws?token=${encodeURIComponent(token)}`);
}
