import { defineConfig } from 'vitest/config';

// The model tests load real checkpoints and decode dozens of tokens; on a shared 2-core machine a single
// test can take several seconds.
export default defineConfig({ test: { testTimeout: 60_000, hookTimeout: 60_000 } });
