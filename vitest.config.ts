import { defineConfig } from 'vitest/config';

// The same suite runs against the embedded store (PGlite) and, when DATABASE_URL is set, against
// PostgreSQL; when REDIS_URL is set, once more with the provider's state in Redis (on PostgreSQL
// when there is one: the shape of a deployment with many nodes). test/helpers/global-setup.ts says
// clearly what it skips, and fails in CI instead.
const postgres = !!process.env.DATABASE_URL;
const redis = !!process.env.REDIS_URL;
const store = postgres ? 'postgres' : 'pglite';

export default defineConfig({
  oxc: { jsx: { runtime: 'automatic', importSource: 'preact' } },
  test: {
    globalSetup: ['test/helpers/global-setup.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: 'forks',
    projects: [
      { extends: true, test: { name: 'pglite', include: ['test/**/*.test.ts'], exclude: ['test/**/*.postgres.test.ts', 'test/**/*.redis.test.ts'], env: { PORTVAKT_TEST_STORE: 'pglite' } } },
      // *.store.test.ts run on every store; *.postgres.test.ts need PostgreSQL (e.g. two nodes on one database).
      ...(postgres
        ? [{ extends: true, test: { name: 'postgres', include: ['test/**/*.store.test.ts', 'test/**/*.postgres.test.ts'], env: { PORTVAKT_TEST_STORE: 'postgres' } } }]
        : []),
      // *.redis.test.ts need Redis; the store suites (and two nodes, with PostgreSQL) run again on it.
      ...(redis
        ? [{
            extends: true,
            test: {
              name: `${store}+redis`,
              include: ['test/**/*.store.test.ts', 'test/**/*.redis.test.ts', ...(postgres ? ['test/**/*.postgres.test.ts'] : [])],
              env: { PORTVAKT_TEST_STORE: store, PORTVAKT_TEST_REDIS: 'true' },
            },
          }]
        : []),
    ],
  },
});
