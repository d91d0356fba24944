import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

const fromRoot = (path: string) => fileURLToPath(new URL(path, import.meta.url));

export default defineConfig({
  resolve: {
    // Tests and executed codemod fixtures import the package by its public names.
    alias: [
      { find: /^rnn-migrate\/legacy$/, replacement: fromRoot('./src/legacy/index.ts') },
      { find: /^rnn-migrate\/codemods$/, replacement: fromRoot('./src/codemods/index.ts') },
      { find: /^rnn-migrate\/eslint-plugin$/, replacement: fromRoot('./src/eslint-plugin/index.ts') },
      { find: /^rnn-migrate\/layers$/, replacement: fromRoot('./src/layers/index.ts') },
      { find: /^rnn-migrate$/, replacement: fromRoot('./src/index.ts') },
    ],
  },
  test: {
    include: ['test/**/*.test.ts'],
    exclude: ['test/browser/**', 'node_modules/**'],
    // Numerics tests on the wasm backend and the packed-tarball test are slow on 2 cores.
    testTimeout: 120_000,
    hookTimeout: 300_000,
    pool: 'forks',
  },
});
