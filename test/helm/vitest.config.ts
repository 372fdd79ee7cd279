import { defineConfig } from 'vitest/config';

// The chart and dashboard checks need no Kafka, registry or Postgres: this config
// runs them without the root config's stack-finding global setup.
//   pnpm vitest run --config test/helm/vitest.config.ts     (or: pnpm --filter @cr/helm-tests test)
export default defineConfig({
  test: {
    root: import.meta.dirname,
    include: ['src/**/*.spec.ts'],
    exclude: ['**/node_modules/**'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
  },
});
