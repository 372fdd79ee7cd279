import { defineConfig } from 'vitest/config';

// Integration tests share one local stack (Kafka, registry, Postgres); each test
// uses its own topics/schemas/tables, but files run one at a time so the 2-core
// machine is not oversubscribed by several end-to-end process trees at once.
export default defineConfig({
  test: {
    include: ['libs/**/*.spec.ts', 'services/**/*.spec.ts', 'test/**/*.spec.ts'],
    exclude: ['**/node_modules/**'],
    fileParallelism: false,
    testTimeout: 60_000,
    hookTimeout: 120_000,
    reporters: ['default'],
    globalSetup: ['./test/e2e/src/global-setup.ts'],
  },
});
