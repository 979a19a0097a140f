import { defineConfig } from 'vitest/config';

// Two projects: fast pure unit tests, and tests against the real throwaway engines that
// scripts/test.sh starts (they read LAYERTOP_TEST_ENGINES).
export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'unit',
          include: ['test/unit/**/*.test.{ts,tsx}', 'source/**/*.test.{ts,tsx}'],
          environment: 'node',
        },
      },
      {
        test: {
          name: 'engine',
          include: ['test/engine/**/*.test.{ts,tsx}'],
          environment: 'node',
          testTimeout: 180_000,
          hookTimeout: 300_000,
          fileParallelism: false,
        },
      },
    ],
  },
});
