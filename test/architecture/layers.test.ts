import { ESLint } from 'eslint';
import path from 'node:path';

// The layer rules live in eslint.config.js; this proves they bite, so that a config edit
// that silently disables them fails the build.
const root = path.resolve(__dirname, '../..');
// The config is passed in rather than found, because ESLint loads config files with a
// dynamic import that Jest's module loader does not support.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const config = require(path.join(root, 'eslint.config.js')) as ESLint.Options['overrideConfig'];
const eslint = new ESLint({ cwd: root, overrideConfigFile: true, overrideConfig: config });

async function restrictedImportErrors(file: string, source: string): Promise<string[]> {
  const [result] = await eslint.lintText(source, { filePath: path.join(root, file) });
  return (result?.messages ?? []).filter((m) => m.ruleId === 'no-restricted-imports').map((m) => m.message);
}

describe('layer rules', () => {
  it.each(['express', 'ws', 'http-proxy', 'dockerode', 'inversify', 'pino', '@kubernetes/client-node'])(
    'core may not import %s',
    async (library) => {
      const errors = await restrictedImportErrors('packages/core/src/probe.ts', `import x from '${library}';\nexport const y = x;\n`);
      expect(errors).toHaveLength(1);
    },
  );

  it.each([
    ['an adapter reaching into core internals', 'packages/adapters-docker/src/probe.ts', '@porthole/core/src/use-cases/forward.service'],
    ['an adapter importing delivery', 'packages/adapters-docker/src/probe.ts', '@porthole/http-api'],
    ['delivery importing a runtime adapter', 'packages/http-api/src/probe.ts', '@porthole/adapters-docker'],
    ['delivery importing dockerode', 'packages/http-api/src/probe.ts', 'dockerode'],
    ['an example reaching into a package', 'examples/embed/src/probe.ts', '../../../packages/http-api/src/app'],
  ])('refuses %s', async (_description, file, target) => {
    const errors = await restrictedImportErrors(file, `import x from '${target}';\nexport const y = x;\n`);
    expect(errors).toHaveLength(1);
  });

  it.each([
    ['core importing node built-ins', 'packages/core/src/probe.ts', 'node:net'],
    ['an adapter importing core', 'packages/adapters-docker/src/probe.ts', '@porthole/core'],
    ['the server importing everything', 'apps/server/src/probe.ts', '@porthole/adapters-docker'],
    ['an example importing public entries', 'examples/embed/src/probe.ts', '@porthole/http-api'],
  ])('allows %s', async (_description, file, target) => {
    expect(await restrictedImportErrors(file, `import x from '${target}';\nexport const y = x;\n`)).toEqual([]);
  });

  describe('the porthole CLI, a pure client', () => {
    it.each([
      ['the domain', 'packages/cli/src/probe.ts', '@porthole/core'],
      ["the server's wire types", 'packages/cli/src/probe.ts', '@porthole/http-api'],
      ['a deep import of another package', 'packages/cli/src/probe.ts', '@porthole/core/testing'],
      ["another package's sources by path", 'packages/cli/src/api/probe.ts', '../../../http-api/src/rest/forward-view'],
      ['the server process by path', 'packages/cli/src/probe.ts', '../../../apps/server/src/config'],
      ['a server framework', 'packages/cli/src/probe.ts', 'express'],
      ['a container driver', 'packages/cli/src/probe.ts', 'dockerode'],
      ["a test reaching past http-api's test kit", 'packages/cli/src/commands/probe.test.ts', '../../../http-api/src/app'],
      ["a test importing the domain's kit by name", 'packages/cli/src/commands/probe.test.ts', '@porthole/core/testing'],
    ])('refuses %s', async (_description, file, target) => {
      const errors = await restrictedImportErrors(file, `import x from '${target}';\nexport const y = x;\n`);
      expect(errors).toHaveLength(1);
    });

    it.each([
      ['its WebSocket client', 'packages/cli/src/tunnel/probe.ts', 'ws'],
      ['node built-ins', 'packages/cli/src/probe.ts', 'node:net'],
      ['its own modules', 'packages/cli/src/commands/probe.ts', '../api/porthole-api'],
      ["tests starting the real server from http-api's test kit", 'packages/cli/src/testing/probe.ts', '../../../http-api/src/testing/porthole-test-server'],
    ])('allows %s', async (_description, file, target) => {
      expect(await restrictedImportErrors(file, `import x from '${target}';\nexport const y = x;\n`)).toEqual([]);
    });
  });
});
