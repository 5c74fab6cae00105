import { defineConfig } from 'vitest/config';

// Most tests run a built example as a child process that loads the demo model: give each room on a loaded machine.
export default defineConfig({
  test: {
    include: ['src/**/*.test.ts'],
    testTimeout: 60_000,
  },
});
