/**
 * Builds the three targets without the Electron binary: main (Electron main, the engine
 * process entry, its data-parallel gradient worker and the CLI, all ESM), preload (one CommonJS file, so `sandbox: true` can stay
 * on) and the Vue renderer. `npm run dev` (scripts/dev.ts) serves the same renderer config
 * with hot reload.
 */
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import vue from '@vitejs/plugin-vue';
import { defineConfig } from 'electron-vite';
import type { UserConfig } from 'vite';

const root = dirname(fileURLToPath(import.meta.url));

/** The renderer: built into out/renderer, or served by the dev server. */
export const rendererConfig: UserConfig = {
  root: resolve(root, 'src-renderer'),
  plugins: [vue()],
  build: {
    outDir: resolve(root, 'out/renderer'),
    rollupOptions: { input: { index: resolve(root, 'src-renderer/index.html') } },
  },
};

export default defineConfig({
  main: {
    build: {
      outDir: 'out/main',
      externalizeDeps: true,
      rollupOptions: {
        input: {
          index: resolve(root, 'src-main/app/main.ts'),
          engine: resolve(root, 'src-main/engine/process.ts'),
          gradientWorker: resolve(root, 'src-main/engine/gradientWorker.ts'),
          cli: resolve(root, 'src-main/cli/index.ts'),
        },
      },
    },
  },
  preload: {
    build: {
      outDir: 'out/preload',
      // Bundle everything: a sandboxed preload can only require('electron') and a few others.
      externalizeDeps: false,
      rollupOptions: {
        input: { index: resolve(root, 'src-main/app/preload.ts') },
        output: { format: 'cjs', entryFileNames: '[name].cjs' },
      },
    },
  },
  renderer: rendererConfig,
});
