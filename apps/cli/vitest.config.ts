import { defineConfig } from 'vitest/config';

// The tests run the built CLI as child processes that load a model: give each one room on a loaded machine.
export default defineConfig({
  test: {
    include: ['src/**/*.test.ts'],
    testTimeout: 60_000,
  },
});
