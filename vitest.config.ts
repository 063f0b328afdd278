import { defineConfig } from 'vitest/config';

// The same suite runs against the embedded store (PGlite) and, when DATABASE_URL is set, against
// PostgreSQL. test/helpers/global-setup.ts says clearly what it skips and fails in CI instead.
const postgres = !!process.env.DATABASE_URL;

export default defineConfig({
  oxc: { jsx: { runtime: 'automatic', importSource: 'preact' } },
  test: {
    globalSetup: ['test/helpers/global-setup.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: 'forks',
    projects: [
      { extends: true, test: { name: 'pglite', include: ['test/**/*.test.ts'], exclude: ['test/**/*.postgres.test.ts'], env: { PORTVAKT_TEST_STORE: 'pglite' } } },
      // *.store.test.ts run on both stores; *.postgres.test.ts need PostgreSQL (e.g. two nodes on one database).
      ...(postgres
        ? [{ extends: true, test: { name: 'postgres', include: ['test/**/*.store.test.ts', 'test/**/*.postgres.test.ts'], env: { PORTVAKT_TEST_STORE: 'postgres' } } }]
        : []),
    ],
  },
});
