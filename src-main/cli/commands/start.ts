/**
 * `flowstudio start` (npm start): the desktop app when the Electron binary is installed;
 * otherwise one line saying so, then serve mode.
 */
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { delimiter, dirname, join } from 'node:path';
import type { Command } from 'commander';
import { appRoot } from '../../host/paths';
import { type ServeFlags, runServe, serveOptions } from './serve';

const require = createRequire(import.meta.url);

/** The Electron executable, or null with the reason it is unusable. */
export function findElectronBinary(): { path: string } | { path: null; reason: string } {
  let dir: string;
  try {
    dir = dirname(require.resolve('electron/package.json'));
  } catch {
    return { path: null, reason: 'the electron package is not installed' };
  }
  // Read path.txt ourselves: requiring 'electron' can throw or try to download the binary.
  const pathFile = join(dir, 'path.txt');
  if (!existsSync(pathFile)) return { path: null, reason: 'the Electron binary was not downloaded (ELECTRON_SKIP_BINARY_DOWNLOAD)' };
  const binary = join(dir, 'dist', readFileSync(pathFile, 'utf8').trim());
  if (!existsSync(binary)) return { path: null, reason: `the Electron binary is missing at ${binary}` };
  return { path: binary };
}

export async function runStart(flags: ServeFlags): Promise<void> {
  const electron = findElectronBinary();
  if (electron.path === null) {
    console.log(`No Electron binary (${electron.reason}); starting serve mode instead.`);
    await runServe(flags);
    return;
  }
  // The desktop app reads its dataset roots from the environment (host/pathPolicy.ts).
  const roots = [process.env['FLOWSTUDIO_DATA_ROOTS'] ?? '', ...flags.dataRoot].filter((r) => r !== '').join(delimiter);
  const child = spawn(electron.path, [appRoot()], { stdio: 'inherit', env: { ...process.env, FLOWSTUDIO_DATA_ROOTS: roots } });
  child.on('exit', (code) => process.exit(code ?? 0));
}

export function registerStart(program: Command): void {
  serveOptions(program.command('start'), ' in serve mode')
    .description('launch the desktop app (serve mode when the Electron binary is missing)')
    .action((flags: ServeFlags) => runStart(flags));
}
