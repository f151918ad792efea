#!/usr/bin/env node
// The `flowstudio` command: builds the app when out/ is missing or stale (ensureBuilt.js), then
// runs the built CLI bundle (out/main/cli.js).
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { ensureBuilt } from './ensureBuilt.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const problem = ensureBuilt(root);
if (problem !== null) {
  console.error(`flowstudio: ${problem}`);
  process.exit(1);
}
const { main } = await import(pathToFileURL(join(root, 'out', 'main', 'cli.js')).href);
const code = await main(process.argv.slice(2));
// Servers keep running; every other command exits with its code once done.
const longRunning = ['serve', 'start'].includes(process.argv[2] ?? '');
if (code !== 0 || !longRunning) process.exit(code);
