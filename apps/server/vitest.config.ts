import { defineConfig } from 'vitest/config';

// The tests load the mini-code model once and generate with it on a shared, loaded machine: give them room.
export default defineConfig({
  test: {
    include: ['src/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
  },
});
