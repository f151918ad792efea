/**
 * A small typed fake of the Electron main-process APIs FlowStudio calls, so the real main
 * module runs without the Electron binary. Windows, sessions and IPC only record what the app
 * installs; `utilityProcess.fork` starts a real child process (child_process.fork), so the
 * engine behind the IPC handler is the real one. Every call worth ordering goes into `log`.
 */
import { type ChildProcess, fork } from 'node:child_process';
import { EventEmitter } from 'node:events';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export class FakeEvent {
  defaultPrevented = false;
  preventDefault(): void {
    this.defaultPrevented = true;
  }
}

type WindowOpenHandler = Parameters<Electron.WebContents['setWindowOpenHandler']>[0];
type HeadersListener = Parameters<Electron.WebRequest['onHeadersReceived']>[0];
type PermissionRequestHandler = NonNullable<Parameters<Electron.Session['setPermissionRequestHandler']>[0]>;
type PermissionCheckHandler = NonNullable<Parameters<Electron.Session['setPermissionCheckHandler']>[0]>;
type InvokeListener = (event: Electron.IpcMainInvokeEvent, ...args: unknown[]) => Promise<unknown>;

export interface FakeOptions {
  /** Whether requestSingleInstanceLock() succeeds (false: another instance runs). */
  lockAvailable?: boolean;
}

export function createFakeElectron(options: FakeOptions = {}) {
  const log: string[] = [];
  const home = mkdtempSync(join(tmpdir(), 'flowstudio-electron-'));
  const windows: FakeBrowserWindow[] = [];
  const ipcHandlers = new Map<string, InvokeListener>();
  const opened: string[] = [];
  const engines: FakeUtilityProcess[] = [];
  const session = {
    headersListener: null as HeadersListener | null,
    permissionRequest: null as PermissionRequestHandler | null,
    permissionCheck: null as PermissionCheckHandler | null,
  };
  let dialogResult: Electron.OpenDialogReturnValue = { canceled: true, filePaths: [] };
  let nextContentsId = 1;

  class FakeApp extends EventEmitter {
    quitted = false;
    requestSingleInstanceLock(): boolean {
      log.push('requestSingleInstanceLock');
      return options.lockAvailable ?? true;
    }
    whenReady(): Promise<void> {
      log.push('whenReady');
      return Promise.resolve();
    }
    getPath(name: Parameters<Electron.App['getPath']>[0]): string {
      return join(home, name);
    }
    /** As Electron: 'before-quit' first, which a listener may prevent. */
    quit(): void {
      log.push('quit');
      const event = new FakeEvent();
      this.emit('before-quit', event);
      if (!event.defaultPrevented && !this.quitted) {
        this.quitted = true;
        log.push('quitted');
      }
    }
  }
  const app = new FakeApp();

  class FakeWebContents extends EventEmitter {
    readonly id = nextContentsId++;
    readonly sent: [string, unknown][] = [];
    windowOpenHandler: WindowOpenHandler | null = null;
    send(channel: string, ...args: unknown[]): void {
      this.sent.push([channel, args[0]]);
    }
    setWindowOpenHandler(handler: WindowOpenHandler): void {
      this.windowOpenHandler = handler;
    }
  }

  class FakeBrowserWindow extends EventEmitter {
    readonly webContents = new FakeWebContents();
    loadedFile: string | null = null;
    focused = 0;
    private destroyed = false;
    constructor(readonly options: Electron.BrowserWindowConstructorOptions) {
      super();
      windows.push(this);
      app.emit('web-contents-created', new FakeEvent(), this.webContents);
    }
    loadFile(path: string): Promise<void> {
      this.loadedFile = path;
      setImmediate(() => this.emit('ready-to-show'));
      return Promise.resolve();
    }
    show(): void {}
    focus(): void {
      this.focused += 1;
    }
    isDestroyed(): boolean {
      return this.destroyed;
    }
    /** As a user closing it: 'closed', then 'window-all-closed' when it was the last. */
    close(): void {
      this.destroyed = true;
      this.emit('closed');
      if (windows.every((w) => w.isDestroyed())) app.emit('window-all-closed');
    }
  }

  /** utilityProcess backed by a real child process speaking the same message protocol. */
  class FakeUtilityProcess extends EventEmitter {
    readonly child: ChildProcess;
    exitSignal: NodeJS.Signals | null = null;
    constructor(modulePath: string, args: string[], forkOptions: Electron.ForkOptions) {
      super();
      this.child = fork(modulePath, args, {
        env: forkOptions.env as NodeJS.ProcessEnv | undefined,
        execArgv: forkOptions.execArgv ?? [],
        stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
        serialization: 'json',
      });
      this.child.on('message', (message) => this.emit('message', message));
      this.child.on('exit', (code, signal) => {
        this.exitSignal = signal;
        log.push(`engine exited (${signal ?? `code ${code}`})`);
        this.emit('exit', code ?? 1);
      });
    }
    get pid(): number | undefined {
      return this.child.pid;
    }
    postMessage(message: unknown): void {
      this.child.send(message as object);
    }
    /** Electron: "terminates the process gracefully; on POSIX, it uses SIGTERM". */
    kill(): boolean {
      log.push('utilityProcess.kill (SIGTERM)');
      return this.child.kill('SIGTERM');
    }
  }

  const module = {
    app,
    BrowserWindow: FakeBrowserWindow,
    ipcMain: {
      handle(channel: string, listener: InvokeListener): void {
        ipcHandlers.set(channel, listener);
      },
    },
    session: {
      defaultSession: {
        webRequest: {
          onHeadersReceived(listener: HeadersListener): void {
            session.headersListener = listener;
          },
        },
        setPermissionRequestHandler(handler: PermissionRequestHandler): void {
          session.permissionRequest = handler;
        },
        setPermissionCheckHandler(handler: PermissionCheckHandler): void {
          session.permissionCheck = handler;
        },
      },
    },
    dialog: {
      async showOpenDialog(...args: unknown[]): Promise<Electron.OpenDialogReturnValue> {
        log.push(`showOpenDialog(${args.length} args)`);
        return dialogResult;
      },
    },
    shell: {
      async openExternal(url: string): Promise<void> {
        opened.push(url);
      },
    },
    utilityProcess: {
      fork(modulePath: string, args: string[] = [], forkOptions: Electron.ForkOptions = {}): FakeUtilityProcess {
        log.push('utilityProcess.fork');
        const engine = new FakeUtilityProcess(modulePath, args, forkOptions);
        engines.push(engine);
        return engine;
      },
    },
  };

  return {
    module,
    log,
    app,
    windows,
    ipcHandlers,
    opened,
    engines,
    session,
    setDialogResult(result: Electron.OpenDialogReturnValue): void {
      dialogResult = result;
    },
  };
}

export type FakeElectron = ReturnType<typeof createFakeElectron>;
