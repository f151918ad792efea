/**
 * What the UI does when the link to the host drops and comes back (serve mode): say so while
 * it is down, and on return re-read the backend and re-open the run on screen, since metrics
 * sent meanwhile were lost and the charts would keep a gap otherwise.
 */
import type { Bridge } from '../../../src-shared/protocol';

export interface ConnectionAware {
  onConnection(listener: (connected: boolean) => void): () => void;
}

export function hasConnectionEvents(bridge: Bridge): bridge is Bridge & ConnectionAware {
  return typeof (bridge as Partial<ConnectionAware>).onConnection === 'function';
}

export interface ReconnectHooks {
  setConnected(connected: boolean): void;
  /** Called when the link is back after a drop (not on the first connection). */
  resync(): void;
}

export function followConnection(bridge: Bridge, hooks: ReconnectHooks): () => void {
  if (!hasConnectionEvents(bridge)) return () => {};
  let dropped = false;
  return bridge.onConnection((connected) => {
    hooks.setConnected(connected);
    if (!connected) dropped = true;
    else if (dropped) {
      dropped = false;
      hooks.resync();
    }
  });
}
