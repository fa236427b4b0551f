/**
 * `porthole connect` carrying a real protocol end to end: Debian's redis-cli on this
 * machine talks through the CLI (a child process), Porthole and a real Docker engine to
 * Debian's redis-server in a test container. And --stdio, with a small RESP client.
 */
import { randomBytes } from 'node:crypto';
import { describeDocker } from '../support/docker';
import { cliEnv, removeCliConfigHomes, spawnPorthole, startPortholeConnect, type CliEnv } from '../support/cli-process';
import { E2E_TOKEN, startTestPorthole, type TestPorthole } from '../support/porthole';
import { REDIS_PORT, redisCli, redisMissing, startRedisContainer, type RedisContainer } from '../support/redis';
import { TIMEOUTS, waitFor } from '../support/timeouts';

const missing = redisMissing();
// CI installs Redis (.ci/run); elsewhere its absence skips these tests, saying why.
const requireRedis = process.env['PORTHOLE_REQUIRE_DOCKER'] === '1';
const describeRedis: jest.Describe = missing === undefined || requireRedis ? describeDocker : describe.skip;
if (missing !== undefined && !requireRedis) console.log(`[porthole] CLI Redis tests skipped: ${missing}`);

/** One RESP command, as redis-cli would send it. */
function resp(...args: string[]): string {
  return `*${args.length}\r\n${args.map((a) => `$${Buffer.byteLength(a)}\r\n${a}\r\n`).join('')}`;
}

describeRedis('porthole connect with redis-cli and redis-server', () => {
  let porthole: TestPorthole;
  let redis: RedisContainer;
  let forwardId: string;
  let env: CliEnv;

  beforeAll(async () => {
    if (missing !== undefined) throw new Error(missing);
    redis = await startRedisContainer();
    porthole = await startTestPorthole();
    const created = await porthole.api('POST', `/api/containers/${redis.name}/port-forwards`, { container_port: REDIS_PORT, name: 'redis' });
    expect(created.status).toBe(201);
    forwardId = created.json.id;
    env = cliEnv({ PORTHOLE_URL: porthole.url, PORTHOLE_TOKEN: E2E_TOKEN });
  }, TIMEOUTS.engineHook);

  afterAll(async () => {
    removeCliConfigHomes();
    await porthole?.close();
    await redis?.remove();
  }, TIMEOUTS.engineHook);

  it('redis-cli SET and GET through a local port; Ctrl-C then exits 0', async () => {
    const connect = await startPortholeConnect([forwardId], env);
    try {
      expect(connect.stdout()).toBe(`Forwarding from 127.0.0.1:${connect.port} -> ${forwardId} (Ctrl-C to stop)\n`);
      expect(await redisCli('127.0.0.1', connect.port, ['SET', 'k', 'v'])).toEqual({ code: 0, stdout: 'OK\n', stderr: '' });
      expect(await redisCli('127.0.0.1', connect.port, ['GET', 'k'])).toEqual({ code: 0, stdout: 'v\n', stderr: '' });
    } finally {
      expect(await connect.stop()).toEqual({ code: 0, signal: null });
    }
    expect(connect.stderr()).toBe('');
  }, TIMEOUTS.engineTest);

  it('carries a 256 KB value byte-exact both ways', async () => {
    const connect = await startPortholeConnect([forwardId], env);
    try {
      const value = randomBytes(192 * 1024).toString('base64'); // 256 KB of text
      // -x: the last argument comes from stdin, so the value is not an argv entry.
      expect(await redisCli('127.0.0.1', connect.port, ['-x', 'SET', 'big'], value)).toMatchObject({ code: 0, stdout: 'OK\n' });
      // Not a terminal, so redis-cli prints replies raw.
      const got = await redisCli('127.0.0.1', connect.port, ['GET', 'big']);
      expect(got.stdout).toBe(`${value}\n`);
      expect(await redisCli('127.0.0.1', connect.port, ['STRLEN', 'big'])).toMatchObject({ stdout: `${value.length}\n` });
    } finally {
      expect(await connect.stop()).toEqual({ code: 0, signal: null });
    }
  }, TIMEOUTS.engineTest);

  it('serves several redis-cli at once, one tunnel each', async () => {
    const connect = await startPortholeConnect([forwardId], env);
    try {
      const results = await Promise.all(
        [1, 2, 3, 4].map((n) => redisCli('127.0.0.1', connect.port, ['SET', `key${n}`, `value${n}`]).then(() => redisCli('127.0.0.1', connect.port, ['GET', `key${n}`]))),
      );
      expect(results.map((r) => r.stdout)).toEqual(['value1\n', 'value2\n', 'value3\n', 'value4\n']);
    } finally {
      await connect.stop();
    }
  }, TIMEOUTS.engineTest);

  it('--stdio: a RESP client on stdin/stdout; stdin EOF closes the tunnel and exits 0', async () => {
    const cli = spawnPorthole(['connect', '--stdio', forwardId], env);
    cli.child.stdin.write(resp('PING'));
    await waitFor('PONG', () => (cli.stdout() === '+PONG\r\n' ? true : undefined), 10_000);
    cli.child.stdin.write(resp('SET', 'stdio', 'works') + resp('GET', 'stdio'));
    await waitFor('the GET reply', () => (cli.stdout().endsWith('$5\r\nworks\r\n') ? true : undefined), 10_000);
    expect(cli.stdout()).toBe('+PONG\r\n+OK\r\n$5\r\nworks\r\n');
    cli.child.stdin.end();
    expect(await cli.exited).toEqual({ code: 0, signal: null });
    expect(cli.stderr()).toBe('');
  }, TIMEOUTS.engineTest);

  it('--stdio: exits 0 when Redis closes the connection (QUIT)', async () => {
    const cli = spawnPorthole(['connect', '--stdio', forwardId], env);
    cli.child.stdin.write(resp('QUIT'));
    expect(await cli.exited).toEqual({ code: 0, signal: null });
    expect(cli.stdout()).toBe('+OK\r\n');
    expect(cli.stderr()).toBe('');
    cli.child.stdin.destroy();
  }, TIMEOUTS.engineTest);

  it('--stdio with the websocket_url from `porthole forward ls --json`, no server URL needed', async () => {
    const list = spawnPorthole(['forward', 'ls', redis.name, '--json'], env);
    list.child.stdin.end();
    expect((await list.exited).code).toBe(0);
    const [forward] = JSON.parse(list.stdout()) as { websocket_url: string }[];
    const cli = spawnPorthole(['connect', '--stdio', forward?.websocket_url ?? ''], { ...env, PORTHOLE_URL: undefined });
    cli.child.stdin.write(resp('ECHO', 'via-url'));
    // Keep stdin open until the answer is in: at EOF the tunnel closes (no half-close).
    await waitFor('the ECHO reply', () => (cli.stdout() === '$7\r\nvia-url\r\n' ? true : undefined), 10_000);
    cli.child.stdin.end();
    expect(await cli.exited).toEqual({ code: 0, signal: null });
  }, TIMEOUTS.engineTest);
});
