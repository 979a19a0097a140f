import { defineConfig, type Plugin } from 'vitest/config';

/** The helper's shell program is imported as text, as esbuild's text loader does in the bundle. */
const shellText: Plugin = {
  name: 'shell-text',
  enforce: 'pre',
  transform(code, id) {
    return id.endsWith('.sh') ? { code: `export default ${JSON.stringify(code)};`, map: null } : undefined;
  },
};

// Two projects: fast pure unit tests, and tests against the real throwaway engines that
// scripts/test.sh starts (they read LAYERTOP_TEST_ENGINES).
export default defineConfig({
  plugins: [shellText],
  // JSX as the bundle compiles it (react/jsx-runtime, as tsconfig's "react-jsx"), not the
  // development runtime: a test that loads React's production build (model-release.test.ts) then
  // runs the components too. React's development checks still run everywhere else.
  oxc: { jsx: { development: false } },
  test: {
    // A failed match on a screen shows the whole screen, not its first 40 characters.
    chaiConfig: { truncateThreshold: 10_000 },
    projects: [
      {
        extends: true,
        test: {
          name: 'unit',
          include: ['test/unit/**/*.test.{ts,tsx}', 'source/**/*.test.{ts,tsx}'],
          environment: 'node',
          // In CI the unit tests run beside both scale engines' fills and the other set's
          // integration tests on two cores: two took just over vitest's default 5 s there (CI run
          // 36). They assert what is shown and given, not how fast (speed is the bench's).
          testTimeout: 30_000,
        },
      },
      {
        extends: true,
        test: {
          name: 'integration',
          include: ['test/integration/**/*.test.{ts,tsx}'],
          // The suite runs as root beside its engines, where the CLI's default (auto) would read
          // the storage with local processes: it tests the helper container, which every other
          // user gets (not root, Docker Desktop, remote engines); local-helper.test.ts and the
          // tests that pass --helper-mode local test the other way.
          env: { LAYERTOP_HELPER_MODE: 'container' },
          environment: 'node',
          testTimeout: 180_000,
          hookTimeout: 300_000,
          fileParallelism: false,
        },
      },
    ],
  },
});
