/**
 * The engine lives as long as the app: quitting (last window closed, Cmd-Q, SIGINT/SIGTERM to
 * the main process) first stops the engine in order (SIGTERM, so it checkpoints running
 * trainers; a bounded wait; SIGKILL), then lets the app quit.
 */
import { SHUTDOWN_GRACE_MS } from '../host/engineClient';
import type { AppModule } from './context';

export function engineLifetime(graceMs = SHUTDOWN_GRACE_MS): AppModule {
  return {
    enable({ app, engine }) {
      let state: 'running' | 'stopping' | 'stopped' = 'running';
      // Ctrl-C or a service manager's SIGTERM to the main process: quit the same way.
      const quit = (): void => app.quit();
      process.on('SIGINT', quit);
      process.on('SIGTERM', quit);
      app.on('before-quit', (event) => {
        if (state === 'stopped') return;
        event.preventDefault();
        if (state === 'stopping') return;
        state = 'stopping';
        void engine
          .shutdown(graceMs)
          .catch(() => null)
          .finally(() => {
            state = 'stopped';
            process.off('SIGINT', quit);
            process.off('SIGTERM', quit);
            app.quit();
          });
      });
      app.on('window-all-closed', () => app.quit());
    },
  };
}
