import { defineConfig } from 'vitest/config';

// One test file at a time: floor.test.ts compares the read probe with the C reader in alternating turns, and
// bench.test.ts's table probes the read bandwidth too (its floor section and every decode round); run side by
// side, the one's reads land in the other's turns (a full run failed 1 of 3 that way).
export default defineConfig({
  test: {
    include: ['src/**/*.test.ts'],
    fileParallelism: false,
  },
});
