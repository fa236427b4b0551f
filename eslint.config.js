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
// The porthole CLI is a pure client of the documented HTTP and WebSocket contract (README,
// "API"): it imports no @porthole package, not even shared types, so it builds, ships and
// versions on its own and a server-side refactor cannot silently change what it sends.
// Its wire types are its own (packages/cli/src/api/forward-json.ts). Only its tests may
// reach into another package, and only for the real server of http-api's test kit.
const CLI_MESSAGE = 'The porthole CLI is a pure client: it speaks the documented HTTP/WebSocket API and imports no @porthole package or server-side library.';
const cliImports = (allowServerTestKit) => ({
  paths: FRAMEWORKS_AND_DRIVERS.filter((name) => name !== 'ws').map((name) => ({ name, message: CLI_MESSAGE })),
  patterns: [
    { group: ['@porthole/*', '@porthole/*/**'], message: CLI_MESSAGE },
    {
      // Relative paths into another package's sources (gitignore groups cannot re-include
      // the test kit below an excluded folder, so this one is a regex).
      regex: allowServerTestKit
        ? '^(\\.\\./)+(apps/|(core|adapters-[^/]+|server)/src/|http-api/src/(?!testing/))'
        : '^(\\.\\./)+(apps/|(core|adapters-[^/]+|http-api|server)/src/)',
      message: `${CLI_MESSAGE} Tests may import http-api's src/testing kit, nothing else.`,
    },
  ],
});
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
    languageOptions: { sourceType: 'commonjs', globals: { require: 'readonly', module: 'writable', process: 'readonly', console: 'readonly', __dirname: 'readonly', Buffer: 'readonly', setTimeout: 'readonly', clearTimeout: 'readonly', setImmediate: 'readonly', setInterval: 'readonly', clearInterval: 'readonly', fetch: 'readonly', performance: 'readonly' } },
    // builtinGlobals off: a script may take its timers from require('node:timers').
    rules: { '@typescript-eslint/no-require-imports': 'off', 'no-redeclare': ['error', { builtinGlobals: false }] },
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
        patterns: [deepCoreImports, ...otherPackages('http-api', 'server', 'adapters-k8s', 'adapters-sqlite')],
      }],
    },
  },
  {
    files: ['packages/adapters-k8s/src/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', {
        patterns: [deepCoreImports, ...otherPackages('http-api', 'server', 'adapters-docker', 'adapters-sqlite')],
      }],
    },
  },
  {
    files: ['packages/adapters-sqlite/src/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', {
        patterns: [deepCoreImports, ...otherPackages('http-api', 'server', 'adapters-docker', 'adapters-k8s')],
      }],
    },
  },
  {
    files: ['packages/http-api/src/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', {
        paths: [{ name: 'dockerode', message: 'http-api never talks to a runtime directly: ask the core.' }],
        patterns: [deepCoreImports, ...otherPackages('adapters-docker', 'adapters-k8s', 'adapters-sqlite', 'server')],
      }],
    },
  },
  {
    files: ['apps/server/src/**/*.ts'],
    rules: { 'no-restricted-imports': ['error', { patterns: [deepCoreImports] }] },
  },
  {
    // An example uses the packages as a platform would: by their public entries.
    files: ['examples/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', {
        patterns: [
          deepCoreImports,
          { group: ['@porthole/*/src/**', '@porthole/*/dist/**', '**/packages/*/src/**', '**/apps/**'], message: 'An example imports @porthole packages by their public entry, as a platform would.' },
        ],
      }],
    },
  },
  {
    files: ['packages/cli/src/**/*.ts'],
    rules: { 'no-restricted-imports': ['error', cliImports(false)] },
  },
  {
    files: ['packages/cli/src/**/*.test.ts', 'packages/cli/src/testing/**/*.ts'],
    rules: { 'no-restricted-imports': ['error', cliImports(true)] },
  },
);
