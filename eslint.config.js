// Lint, and above all the layer rules of DESIGN.md §2, enforced here rather than by review:
// core imports no framework, driver or DI library; adapters and delivery import only
// core's public entry; only apps/server knows every package.
const js = require('@eslint/js');
const tseslint = require('typescript-eslint');

const FRAMEWORKS_AND_DRIVERS = [
  'express', 'ws', 'http-proxy', 'dockerode', 'docker-modem', 'inversify', 'reflect-metadata',
  'class-validator', 'class-transformer', 'pino', '@kubernetes/client-node', 'better-sqlite3',
];
const deepCoreImports = {
  group: ['@porthole/core/src/*', '@porthole/core/dist/*', '**/core/src/*', '**/core/src/**'],
  message: 'Import @porthole/core (or @porthole/core/testing in tests) only: its internals are not public.',
};
const otherPackages = (...names) => names.map((name) => ({
  group: [`@porthole/${name}`, `@porthole/${name}/*`, `**/${name}/src/**`],
  message: `This layer may not depend on @porthole/${name}; only apps/server wires packages together.`,
}));

module.exports = tseslint.config(
  { ignores: ['**/dist/**', '**/node_modules/**', 'coverage/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ['**/*.js'],
    languageOptions: { sourceType: 'commonjs', globals: { require: 'readonly', module: 'writable', process: 'readonly', console: 'readonly', __dirname: 'readonly', Buffer: 'readonly', setTimeout: 'readonly', clearTimeout: 'readonly' } },
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
  {
    files: ['packages/core/src/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', {
        paths: FRAMEWORKS_AND_DRIVERS.map((name) => ({ name, message: 'packages/core is the pure domain: no framework, driver or DI library.' })),
        patterns: [
          { group: FRAMEWORKS_AND_DRIVERS.map((name) => `${name}/*`), message: 'packages/core imports no framework or driver.' },
          { group: ['@porthole/*'], message: 'packages/core depends on no other package.' },
        ],
      }],
    },
  },
  {
    files: ['packages/adapters-docker/src/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', {
        patterns: [deepCoreImports, ...otherPackages('http-api', 'server', 'adapters-k8s')],
      }],
    },
  },
  {
    files: ['packages/http-api/src/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', {
        paths: [{ name: 'dockerode', message: 'http-api never talks to a runtime directly: ask the core.' }],
        patterns: [deepCoreImports, ...otherPackages('adapters-docker', 'adapters-k8s', 'server')],
      }],
    },
  },
  {
    files: ['apps/server/src/**/*.ts'],
    rules: { 'no-restricted-imports': ['error', { patterns: [deepCoreImports] }] },
  },
);
