/**
 * The real Electron main module (src-main/app/main.ts) run against a typed fake of the Electron
 * APIs it calls (fakeElectron.ts), with a real engine child behind the IPC channel: what the
 * window is allowed to do, what the session enforces, who may use the IPC channel, and that
 * quitting stops the engine in order.
 */
import { mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { IPC_INVOKE_CHANNEL } from '../../../src-shared/protocol';
import { CONTENT_SECURITY_POLICY } from '../../../src-main/host/csp';
import type { AppContext } from '../../../src-main/app/context';
import { type FakeElectron, FakeEvent, createFakeElectron } from './fakeElectron';

const state = vi.hoisted(() => ({ fake: null as unknown }));
// The mocked module is created once; its members read the current fake, so each test app run
// (a fresh import of main.ts) gets its own.
vi.mock('electron', () => {
  const current = (): FakeElectron['module'] => (state.fake as FakeElectron).module;
  return {
    get app() {
      return current().app;
    },
    get BrowserWindow() {
      return current().BrowserWindow;
    },
    get ipcMain() {
      return current().ipcMain;
    },
    get session() {
      return current().session;
    },
    get dialog() {
      return current().dialog;
    },
    get shell() {
      return current().shell;
    },
    get utilityProcess() {
      return current().utilityProcess;
    },
  };
});

async function runMain(fake: FakeElectron): Promise<AppContext | null> {
  state.fake = fake;
  vi.resetModules();
  const main = (await import('../../../src-main/app/main')) as { started: Promise<AppContext | null> };
  return main.started;
}

let fake: FakeElectron;
let context: AppContext;

beforeAll(async () => {
  process.env['FLOWSTUDIO_BACKEND'] = 'cpu';
  fake = createFakeElectron();
  const started = await runMain(fake);
  if (!started) throw new Error('the app did not start');
  context = started;
});

afterAll(async () => {
  if (!fake.app.quitted) await context?.engine.shutdown(5000);
  delete process.env['FLOWSTUDIO_BACKEND'];
});

type Invoke = (event: unknown, command: unknown, args: unknown) => Promise<Record<string, unknown>>;

function invoke(): Invoke {
  const handler = fake.ipcHandlers.get(IPC_INVOKE_CHANNEL);
  if (!handler) throw new Error('no IPC handler installed');
  return handler as unknown as Invoke;
}

/** An IPC event as Electron builds it: which webContents and which frame sent it. */
function ipcEvent(options: { url?: string; sender?: unknown; parent?: unknown; noFrame?: boolean } = {}): unknown {
  const window = fake.windows[0]!;
  return {
    sender: options.sender ?? window.webContents,
    senderFrame: options.noFrame ? null : { url: options.url ?? context.files.rendererUrl, parent: options.parent ?? null },
  };
}

describe('the Electron main process', () => {
  it('takes the single-instance lock before anything else, then opens one locked-down window', () => {
    expect(fake.log.slice(0, 2)).toEqual(['requestSingleInstanceLock', 'whenReady']);
    expect(fake.windows).toHaveLength(1);
    const window = fake.windows[0]!;
    expect(window.options.webPreferences).toEqual({
      preload: context.files.preload,
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      nodeIntegrationInWorker: false,
      nodeIntegrationInSubFrames: false,
      webSecurity: true,
      allowRunningInsecureContent: false,
      webviewTag: false,
    });
    expect(context.files.preload).toMatch(/preload[\\/]index\.cjs$/);
    expect(window.loadedFile).toBe(context.files.rendererIndex);
    expect(context.files.rendererUrl).toBe(pathToFileURL(context.files.rendererIndex).href);
  });

  it('sends the one CSP with every response and grants no permission', () => {
    let headers: Record<string, string[]> | undefined;
    fake.session.headersListener!({ responseHeaders: { 'X-Kept': ['1'] } } as never, (response) => {
      headers = response.responseHeaders as Record<string, string[]>;
    });
    expect(headers).toEqual({ 'X-Kept': ['1'], 'Content-Security-Policy': [CONTENT_SECURITY_POLICY] });
    const granted: boolean[] = [];
    for (const permission of ['media', 'geolocation', 'notifications', 'openExternal'] as const) {
      fake.session.permissionRequest!({} as never, permission, (ok) => granted.push(ok), {} as never);
    }
    expect(granted).toEqual([false, false, false, false]);
    expect(fake.session.permissionCheck!(null, 'media', '', {} as never)).toBe(false);
  });

  it('blocks navigation, redirects, webviews and new windows (https links go to the browser)', () => {
    const contents = fake.windows[0]!.webContents;
    for (const name of ['will-navigate', 'will-redirect', 'will-attach-webview']) {
      const event = new FakeEvent();
      contents.emit(name, event, { url: 'https://evil.example/' });
      expect(event.defaultPrevented, name).toBe(true);
    }
    const open = contents.windowOpenHandler!;
    for (const url of ['https://github.com/', 'http://evil.example/', 'file:///etc/passwd', 'javascript:alert(1)']) {
      expect(open({ url } as never), url).toEqual({ action: 'deny' });
    }
    expect(fake.opened).toEqual(['https://github.com/']);
  });

  it('refuses IPC from any sender but the studio page, and routes the rest to the real engine', async () => {
    const call = invoke();
    const refusals: [unknown, RegExp][] = [
      [ipcEvent({ url: 'https://evil.example/' }), /not the FlowStudio renderer/],
      [ipcEvent({ url: pathToFileURL(join(tmpdir(), 'index.html')).href }), /not the FlowStudio renderer/],
      [ipcEvent({ url: `${context.files.rendererUrl}.evil.html` }), /not the FlowStudio renderer/],
      [ipcEvent({ parent: { url: context.files.rendererUrl } }), /not the top frame/],
      [ipcEvent({ noFrame: true }), /not the top frame/],
      [ipcEvent({ sender: { id: 999 } }), /not the FlowStudio window/],
      [ipcEvent({ url: 'not a url' }), /no valid URL/],
    ];
    for (const [event, message] of refusals) {
      const reply = await call(event, 'ping', { nonce: 'x' });
      expect(reply).toMatchObject({ ok: false, error: { code: 'BAD_FRAME' } });
      expect((reply['error'] as { message: string }).message).toMatch(message);
    }
    expect(fake.engines).toHaveLength(0); // nothing refused reached the engine (not even started)
    const pong = await call(ipcEvent({ url: `${context.files.rendererUrl}#/train` }), 'ping', { nonce: 'hello' });
    expect(pong).toMatchObject({ ok: true, result: { nonce: 'hello' } });
    expect((pong['result'] as { pid: number }).pid).toBe(fake.engines[0]!.pid);
    const invalid = await call(ipcEvent(), 'ping', { nonce: 5 });
    expect(invalid).toMatchObject({ ok: false, error: { code: 'INVALID_ARGS' } });
  });

  it('opens the native dialog for pickPath, and the picked folder becomes usable', async () => {
    const call = invoke();
    const picked = mkdtempSync(join(tmpdir(), 'flowstudio-picked-'));
    mkdirSync(join(picked, 'images'));
    const before = await call(ipcEvent(), 'datasetInfo', { data: `folder:${join(picked, 'images')}` });
    expect(before).toMatchObject({ ok: false, error: { code: 'FORBIDDEN_PATH' } });
    fake.setDialogResult({ canceled: false, filePaths: [picked] });
    expect(await call(ipcEvent(), 'pickPath', { kind: 'folder' })).toMatchObject({ ok: true, result: { path: picked } });
    expect(fake.log).toContain('showOpenDialog(2 args)'); // parented to the window
    const after = await call(ipcEvent(), 'datasetInfo', { data: `folder:${join(picked, 'images')}` });
    expect((after['error'] as { code: string; message: string }).message).toMatch(/contains no images/);
  });

  it('focuses the existing window when a second instance starts', () => {
    fake.app.emit('second-instance');
    expect(fake.windows).toHaveLength(1);
    expect(fake.windows[0]!.focused).toBe(1);
  });

  it('on quit, stops the engine first (SIGTERM, waits for its exit), then quits', async () => {
    await invoke()(ipcEvent(), 'ping', { nonce: 'running' });
    const engine = fake.engines[0]!;
    fake.windows[0]!.close();
    await vi.waitFor(() => expect(fake.app.quitted).toBe(true), { timeout: 30_000, interval: 50 });
    // The engine handles SIGTERM itself: it checkpoints running trainers, then exits with 0.
    const order = ['utilityProcess.kill (SIGTERM)', 'engine exited (code 0)', 'quitted'].map((entry) => fake.log.indexOf(entry));
    expect(order.every((i) => i >= 0), fake.log.join(', ')).toBe(true);
    expect([...order].sort((a, b) => a - b)).toEqual(order);
    expect(engine.exitSignal).toBe(null);
    expect(fake.log.filter((e) => e === 'quit').length).toBe(2); // the first one was held back
  });
});

describe('a second FlowStudio', () => {
  it('quits at once when another instance holds the lock, opening nothing', async () => {
    const second = createFakeElectron({ lockAvailable: false });
    expect(await runMain(second)).toBeNull();
    expect(second.log).toEqual(['requestSingleInstanceLock', 'quit', 'quitted']);
    expect(second.windows).toHaveLength(0);
    expect(second.ipcHandlers.size).toBe(0);
  });
});
