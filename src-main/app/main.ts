/**
 * Electron main process entry: one window, the engine in a utilityProcess, every IPC message
 * checked (sender frame, then schema and paths) by the same router the WebSocket host uses.
 * Security: contextIsolation, sandbox, no nodeIntegration, CSP, navigation and new windows
 * blocked, permissions denied, one instance. The modules are composed in initApp.ts.
 */
import { app } from 'electron';
import { initApp } from './initApp';

/** The running app's context (null when another instance already runs); tests await it. */
export const started = initApp().catch((error: unknown) => {
  console.error(`FlowStudio could not start: ${error instanceof Error ? error.message : String(error)}`);
  app.quit();
  return null;
});
