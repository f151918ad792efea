/**
 * Composes the desktop app from its modules: single instance, security rules, the engine's
 * lifetime, the IPC channel, the main window. Each module is one concern (context.ts).
 */
import { app } from 'electron';
import { type AppContext, type AppModule, type MainWindows, appFiles } from './context';
import { createDesktopHost } from './desktopHost';
import { engineLifetime } from './engineLifetime';
import { ipcBridge } from './ipcBridge';
import { createMainWindows, mainWindow } from './mainWindow';
import { securityRules } from './securityRules';
import { claimSingleInstance, singleInstance } from './singleInstance';

export const APP_MODULES: readonly AppModule[] = [singleInstance, securityRules, engineLifetime(), ipcBridge, mainWindow];

export async function initApp(modules: readonly AppModule[] = APP_MODULES): Promise<AppContext | null> {
  if (!claimSingleInstance(app)) return null;
  await app.whenReady();
  const files = appFiles();
  // The windows need the router (events) and the router the windows (dialog parent).
  let windows: MainWindows | null = null;
  const windowsLater: MainWindows = {
    current: () => windows?.current() ?? null,
    show: () => windows!.show(),
  };
  const { engine, router } = createDesktopHost(app, windowsLater);
  windows = createMainWindows(files, router);
  const context: AppContext = { app, files, engine, router, windows };
  for (const module of modules) await module.enable(context);
  return context;
}
