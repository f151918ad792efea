#!/usr/bin/env node
// The `flowstudio` command: runs the built CLI bundle (npm run build makes out/main/cli.js).
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const cli = join(dirname(fileURLToPath(import.meta.url)), '..', 'out', 'main', 'cli.js');
if (!existsSync(cli)) {
  console.error('flowstudio: the app is not built yet (out/main/cli.js missing); run "npm run build" first');
  process.exit(1);
}
const { main } = await import(pathToFileURL(cli).href);
const code = await main(process.argv.slice(2));
// Servers keep running; every other command exits with its code once done.
const longRunning = ['serve', 'start'].includes(process.argv[2] ?? '');
if (code !== 0 || !longRunning) process.exit(code);
