/**
 * `flowstudio serve` as a user runs it (the built CLI in a subprocess): loopback unless
 * --allow-remote (with a warning), --data-root opens a dataset folder to clients, and SIGTERM
 * stops the engine in order (SIGTERM to the engine, a wait for it to finish) before exiting.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { BIN, startServing } from '../../helpers/cliProcess';
import { connect } from '../../helpers/wsClient';

function runCli(args: string[]): Promise<{ code: number | null; output: string }> {
  return new Promise((resolvePromise) => {
    const child = spawn(process.execPath, [BIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolvePromise({ code, output });
    });
  });
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

function wsUrlOf(url: string): string {
  const page = new URL(url);
  return `ws://${page.host}/ws?token=${page.searchParams.get('token') ?? ''}`;
}

describe('flowstudio serve', () => {
  it('refuses a non-loopback address without --allow-remote, before binding anything', async () => {
    for (const address of ['0.0.0.0', '192.0.2.7']) {
      const { code, output } = await runCli(['serve', '--host', address]);
      expect(code).toBe(1);
      expect(output).toContain(`--host ${address} is not a loopback address; add --allow-remote`);
      expect(output).not.toContain('serving at');
    }
  });

  it('binds every interface with --allow-remote, warns, and prints a URL this machine can open', async () => {
    const server = await startServing(['serve', '--host', '0.0.0.0', '--allow-remote'], { FLOWSTUDIO_BACKEND: 'cpu' });
    try {
      expect(server.output()).toMatch(/warning: serving on 0\.0\.0\.0: anyone who can reach this address and has the token/);
      expect(server.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/\?token=[\w-]{20,}$/);
      expect((await fetch(server.url)).status).toBe(200);
    } finally {
      await server.stop();
    }
  });

  it('opens --data-root folders to clients, and on SIGTERM stops the engine in order before exiting', async () => {
    const base = mkdtempSync(join(tmpdir(), 'flowstudio-serve-cli-'));
    const dataRoot = join(base, 'data');
    mkdirSync(join(dataRoot, 'empty'), { recursive: true });
    const marker = join(base, 'engine-stopped');
    const server = await startServing(['serve', '--data-root', dataRoot], {
      FLOWSTUDIO_BACKEND: 'cpu',
      FLOWSTUDIO_RUNS: join(base, 'runs'),
      // The engine (forked by the CLI, same environment) takes 1.5 s to stop, like a checkpoint write.
      NODE_OPTIONS: `--import=${pathToFileURL(resolve('test/fixtures/slowSigterm.mjs')).href}`,
      FLOWSTUDIO_TEST_SIGTERM_MS: '1500',
      FLOWSTUDIO_TEST_SIGTERM_MARKER: marker,
    });
    const client = await connect(wsUrlOf(server.url));
    const health = (await client.request('health', {}))['result'] as { pid: number };
    const inRoot = await client.request('datasetInfo', { data: `folder:${join(dataRoot, 'empty')}` });
    expect((inRoot['error'] as { message: string }).message).toMatch(/contains no images/);
    const outside = await client.request('datasetInfo', { data: `folder:${base}` });
    expect((outside['error'] as { code: string }).code).toBe('FORBIDDEN_PATH');
    client.close();

    const exited = new Promise<number | null>((r) => server.child.once('exit', (code) => r(code)));
    server.child.kill('SIGTERM');
    expect(await exited).toBe(0);
    expect(server.output()).toContain('SIGTERM: stopping the engine');
    expect(existsSync(marker)).toBe(true);
    expect(alive(health.pid)).toBe(false);
  });
});
