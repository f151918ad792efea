/**
 * `npm run dev`: Vite serves the renderer from source with its hot-reload client, and the page
 * reaches a real serve-mode engine through the dev server's /ws proxy, with the token from
 * its URL. The host's checks still hold behind the proxy: no token or a foreign Origin is
 * refused.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium } from '../helpers/chromium';
import { connect } from '../helpers/wsClient';

let child: ChildProcess;
let pageUrl: URL;
let browser: Browser;

function startDev(): Promise<URL> {
  child = spawn(process.execPath, ['--import', 'tsx', 'scripts/dev.ts', '--port', '0'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no dev URL within 90 s; output:\n${out}`)), 90_000);
    const onData = (chunk: Buffer): void => {
      out += chunk.toString();
      const match = /serving at (http:\/\/\S+)/.exec(out);
      if (match?.[1]) {
        clearTimeout(timer);
        resolve(new URL(match[1]));
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.once('exit', (code) => reject(new Error(`npm run dev exited with ${code}; output:\n${out}`)));
  });
}

beforeAll(async () => {
  pageUrl = await startDev();
  browser = await launchChromium();
}, 120_000);

afterAll(async () => {
  await browser?.close();
  if (child && child.exitCode === null) {
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGTERM');
    await exited;
  }
});

describe('npm run dev', () => {
  it('prints a loopback URL with the token and serves the page with the hot-reload client', async () => {
    expect(pageUrl.hostname).toBe('127.0.0.1');
    expect(pageUrl.searchParams.get('token')).toMatch(/^[\w-]{20,}$/);
    const html = await (await fetch(pageUrl)).text();
    expect(html).toContain('/@vite/client');
    expect(html).toContain('/src/main.ts');
  });

  it('loads the studio from source in chromium, talking to the engine through the proxy', async () => {
    const page = await browser.newPage();
    await page.goto(pageUrl.href);
    const name = page.getByTestId('backend-name');
    await name.waitFor({ timeout: 90_000 });
    expect(['wasm', 'cpu', 'webgpu', 'tensorflow']).toContain((await name.textContent())?.trim());
    await page.close();
  });

  it('answers the protocol with the token from the dev page origin, refuses it without the token or from another origin', async () => {
    const token = pageUrl.searchParams.get('token')!;
    const ws = `ws://${pageUrl.host}/ws`;
    const client = await connect(`${ws}?token=${encodeURIComponent(token)}`, { Origin: pageUrl.origin });
    const reply = await client.request('health', {});
    expect(reply['ok']).toBe(true);
    client.close();
    await expect(connect(`${ws}?token=wrong-${token}`, { Origin: pageUrl.origin })).rejects.toThrow(/403/);
    await expect(connect(`${ws}?token=${encodeURIComponent(token)}`, { Origin: 'http://evil.example' })).rejects.toThrow(/403/);
  });
});
