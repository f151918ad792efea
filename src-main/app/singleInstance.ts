/** One FlowStudio at a time: a second launch focuses the first one's window and quits. */
import type { App } from 'electron';
import type { AppModule } from './context';

/** Takes the single-instance lock; false (and the app quitting) when another instance holds it. */
export function claimSingleInstance(app: App): boolean {
  if (app.requestSingleInstanceLock()) return true;
  app.quit();
  return false;
}

export const singleInstance: AppModule = {
  enable({ app, windows }) {
    app.on('second-instance', () => windows.show());
  },
};
