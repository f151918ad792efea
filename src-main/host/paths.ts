/** Locations inside the installed app, found from this module's own place. */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The folder holding FlowStudio's package.json (works from source and from `out/`). */
export function appRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const pkg = join(dir, 'package.json');
    if (existsSync(pkg)) {
      const name = (JSON.parse(readFileSync(pkg, 'utf8')) as { name?: string }).name;
      if (name === 'flowstudio') return dir;
    }
    const parent = dirname(dir);
    if (parent === dir) throw new Error('cannot find the FlowStudio package root');
    dir = parent;
  }
}

export function appVersion(): string {
  return (JSON.parse(readFileSync(join(appRoot(), 'package.json'), 'utf8')) as { version: string }).version;
}

/** The built renderer served in serve mode and loaded by the Electron window. */
export function rendererDir(): string {
  return join(appRoot(), 'out', 'renderer');
}
