// Two projects: `unit` runs everywhere in seconds; `integration` needs a real Docker engine
// (see scripts/test-daemon.sh) and runs serially because the tests share that engine.
// Type checking is `tsc` in `npm test`, so ts-jest only transpiles (isolatedModules).
const transform = {
  '^.+\\.ts$': ['ts-jest', { tsconfig: 'tsconfig.jest.json' }],
  // @kubernetes/client-node 1.x and three of its dependencies are ES modules only. Node 20
  // require()s them natively, but Jest's module loader does not: they are transpiled to
  // CommonJS for the tests (see ../shared/recipes/kubernetes-testing.md).
  '/node_modules/.+\\.m?js$': [
    'ts-jest',
    { tsconfig: { allowJs: true, module: 'commonjs', esModuleInterop: true, target: 'ES2022', isolatedModules: true, skipLibCheck: true } },
  ],
};
const ESM_ONLY = ['@kubernetes/client-node', 'openid-client', 'oauth4webapi', 'jose'];
// pnpm's store paths hold /node_modules/ twice (.pnpm/<pkg>/node_modules/<pkg>): the
// first is let through, the second decides.
const transformIgnorePatterns = [`/node_modules/(?!(\\.pnpm|${ESM_ONLY.join('|')})/)`];

module.exports = {
  projects: [
    {
      displayName: 'unit',
      testEnvironment: 'node',
      transform,
      transformIgnorePatterns,
      testMatch: ['<rootDir>/packages/*/src/**/*.test.ts', '<rootDir>/apps/*/src/**/*.test.ts', '<rootDir>/test/**/*.test.ts'],
      testPathIgnorePatterns: ['\\.integration\\.test\\.ts$', '/node_modules/', '/dist/'],
    },
    {
      displayName: 'integration',
      testEnvironment: 'node',
      transform,
      transformIgnorePatterns,
      testMatch: ['<rootDir>/**/*.integration.test.ts'],
      testPathIgnorePatterns: ['/node_modules/', '/dist/'],
      globalSetup: '<rootDir>/test/support/global-setup.js',
      slowTestThreshold: 30,
    },
  ],
};
