import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['**/node_modules/**', '.tools/**', '.stack/**', 'bench/results/**'] },
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
    },
  },
  {
    // The world model is pure: no I/O libraries, no clocks or sockets.
    files: ['libs/world-model/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', {
        paths: ['kafkajs', 'pg', 'knex', 'undici', 'pino', 'prom-client', 'node:fs', 'node:http', 'node:net', 'fs', 'http', 'net'],
        patterns: ['@kafkajs/*', 'node:fs/*'],
      }],
    },
  },
);
