import { existsSync, readFileSync, statSync } from 'node:fs';
import { createServer } from 'node:http';
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { ExitCode } from '../cli-error';
import { configFilePath } from '../config/config-file';
import { freshConfigHome, removeConfigHomes, runToEnd, startCli } from '../testing/cli-harness';
import { ADMIN_TOKEN, startTestPorthole, type TestPorthole } from '../testing/test-porthole';

afterAll(removeConfigHomes);

let porthole: TestPorthole;
let home: string;

beforeEach(async () => {
  porthole = await startTestPorthole();
  home = freshConfigHome();
});

afterEach(() => porthole.close());

function saved(): unknown {
  return JSON.parse(readFileSync(configFilePath({ XDG_CONFIG_HOME: home }), 'utf8'));
}

describe('porthole login', () => {
  it('checks the URL and token against the server, saves them 0600, and later commands use them', async () => {
    const result = await runToEnd(['login', '--url', `${porthole.origin}/`, '--token', ADMIN_TOKEN], { env: { XDG_CONFIG_HOME: home } });
    const file = configFilePath({ XDG_CONFIG_HOME: home });
    expect(result).toEqual({ code: ExitCode.ok, stdout: `Logged in to ${porthole.origin}; saved in ${file}.\n`, stderr: '' });
    expect(saved()).toEqual({ url: porthole.origin, token: ADMIN_TOKEN });
    expect(statSync(file).mode & 0o777).toBe(0o600);

    const list = await runToEnd(['forward', 'ls', 'web', '--json'], { env: { XDG_CONFIG_HOME: home } });
    expect(list).toEqual({ code: ExitCode.ok, stdout: '[]\n', stderr: '' });
  });

  it('reads the URL and token from a pipe, one line each, so the token stays out of `ps`', async () => {
    const result = await runToEnd(['login'], { env: { XDG_CONFIG_HOME: home }, input: `${porthole.origin}\n${ADMIN_TOKEN}\n` });
    expect(result.code).toBe(ExitCode.ok);
    expect(saved()).toEqual({ url: porthole.origin, token: ADMIN_TOKEN });
  });

  it('asks on a terminal, on stderr, without echoing the token', async () => {
    const run = startCli(['login', '--url', porthole.origin], { env: { XDG_CONFIG_HOME: home }, tty: true });
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(run.stderr()).toBe('Token: ');
    run.stdin.write(`${ADMIN_TOKEN}\n`);
    expect(await run.exited).toBe(ExitCode.ok);
    expect(run.stderr()).not.toContain(ADMIN_TOKEN);
    expect(saved()).toEqual({ url: porthole.origin, token: ADMIN_TOKEN });
  });

  it('takes PORTHOLE_URL and PORTHOLE_TOKEN when no flags are given', async () => {
    const env = { XDG_CONFIG_HOME: home, PORTHOLE_URL: porthole.origin, PORTHOLE_TOKEN: ADMIN_TOKEN };
    expect((await runToEnd(['login'], { env })).code).toBe(ExitCode.ok);
    expect(saved()).toEqual({ url: porthole.origin, token: ADMIN_TOKEN });
  });

  it('notes when an environment variable will win over what was saved', async () => {
    const env = { XDG_CONFIG_HOME: home, PORTHOLE_TOKEN: 'another-token-0123456789' };
    const result = await runToEnd(['login', '--url', porthole.origin, '--token', ADMIN_TOKEN], { env });
    expect(result.stderr).toBe('porthole: note: PORTHOLE_TOKEN is set and wins over the saved login\n');
  });

  it.each([
    ['a wrong token', () => ['--url', porthole.origin, '--token', 'wrong-token-0123456789'], () => `porthole: Porthole at ${porthole.origin} does not accept this token\n`, ExitCode.failure],
    ['no token at all', () => ['--url', porthole.origin], () => 'porthole: no token given: pass --token, or type it when asked; usage: porthole login [--url URL] [--token TOKEN]\n', ExitCode.usage],
    ['a URL that is not http', () => ['--url', 'ftp://x', '--token', ADMIN_TOKEN], () => 'porthole: "ftp://x" must start with http:// or https://\n', ExitCode.usage],
  ])('saves nothing for %s', async (_description, args, message, code) => {
    const result = await runToEnd(['login', ...args()], { env: { XDG_CONFIG_HOME: home } });
    expect(result).toEqual({ code, stdout: '', stderr: message() });
    expect(existsSync(configFilePath({ XDG_CONFIG_HOME: home }))).toBe(false);
  });

  it('refuses a server that is not Porthole', async () => {
    const other = createServer((_req, res) => res.end('<html>hello</html>'));
    other.listen(0, '127.0.0.1');
    await once(other, 'listening');
    const url = `http://127.0.0.1:${(other.address() as AddressInfo).port}`;
    try {
      const result = await runToEnd(['login', '--url', url, '--token', ADMIN_TOKEN], { env: { XDG_CONFIG_HOME: home } });
      expect(result).toEqual({ code: ExitCode.failure, stdout: '', stderr: `porthole: ${url} does not look like Porthole (GET /api/ answered 200)\n` });
    } finally {
      other.close();
    }
  });
});
