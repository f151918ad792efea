import vue from '@vitejs/plugin-vue';
import { defineConfig } from 'vitest/config';

export default defineConfig({
  plugins: [vue()],
  test: {
    include: ['test/**/*.test.ts'],
    // Engine tests run real tfjs math on 2 cores: give them room, and keep files apart so a
    // heavy file does not starve a timing-sensitive one.
    testTimeout: 120_000,
    hookTimeout: 120_000,
    pool: 'forks',
    maxWorkers: 2,
    // Two test files run at once on CI's 2 cores: one wasm thread each, or the threads of one
    // file wait on the other's (measured: the toy2d memory test 92 s → 122 s under load). The
    // threaded build has its own test (test/integration/wasmThreads.test.ts), which sets it.
    // Training runs in one process for the same reason; data-parallel training has its own
    // tests (test/unit/train/dataParallel.test.ts, the CLI's --workers), which set it.
    env: { FLOWSTUDIO_THREADS: '1', FLOWSTUDIO_WORKERS: '1' },
    reporters: ['default'],
  },
});
