import WebSocket from 'ws';
import { describeDocker, removeTestContainers, startFixtureContainer, type FixtureContainer } from '../support/docker';
import { runServer, startServer } from '../support/server-process';
import { TIMEOUTS } from '../support/timeouts';

describe('the server process refuses bad start-up conditions with one line', () => {
  it.each([
    ['a bad port', { PORTHOLE_PORT: 'eighty' }, 2, /^porthole: PORTHOLE_PORT: must be a whole number, got "eighty"\.\n$/],
    ['an unknown runtime', { PORTHOLE_RUNTIME: 'podman' }, 2, /^porthole: PORTHOLE_RUNTIME: must be one of auto, docker, kubernetes; got "podman"\.\n$/],
    ['a short admin token', { PORTHOLE_ADMIN_TOKEN: 'short' }, 2, /^porthole: PORTHOLE_ADMIN_TOKEN: .*\n$/],
    ['a host name that does not resolve', { PORTHOLE_HOST: 'no-such-host.invalid' }, 2, /^porthole: PORTHOLE_HOST: cannot resolve "no-such-host\.invalid".*\n$/],
    ['a local bind that is not an address', { PORTHOLE_LOCAL_BIND: 'nope' }, 2, /^porthole: PORTHOLE_LOCAL_BIND: .*\n$/],
    [
      'no Docker engine',
      { DOCKER_HOST: 'unix:///tmp/porthole-no-such-engine.sock' },
      1,
      /^porthole: No Docker engine answers at unix:\/\/\/tmp\/porthole-no-such-engine\.sock\. .*DOCKER_HOST.*\n$/,
    ],
    [
      'a data directory it cannot create',
      { PORTHOLE_DATA_DIR: '/etc/hostname/data' },
      1,
      /^porthole: PORTHOLE_DATA_DIR: cannot create \/etc\/hostname\/data: ENOTDIR: .*\n$/,
    ],
    ['a DOCKER_HOST it cannot read', { DOCKER_HOST: 'carrier-pigeon://coop' }, 1, /^porthole: .*DOCKER_HOST.*\n$/],
  ])('%s', async (_description, env, code, stderr) => {
    const server = runServer({ PORTHOLE_PORT: '0', ...env });
    expect(await server.exited).toBe(code);
    expect(server.stderr()).toMatch(stderr);
    expect(server.stderr()).not.toMatch(/\n\s+at /); // no stack trace
  }, TIMEOUTS.engineTest);
});

describeDocker('the server process with a Docker engine', () => {
  let web: FixtureContainer;

  beforeAll(async () => {
    web = await startFixtureContainer();
  }, TIMEOUTS.engineHook);
  afterAll(() => removeTestContainers(), TIMEOUTS.engineHook);

  it('prints a generated admin token once, with a curl line that works', async () => {
    const server = await startServer({ PORTHOLE_ADMIN_TOKEN: undefined });
    try {
      const token = /generated for this run:\s+([0-9A-Za-z]{32})\s/.exec(server.stdout())?.[1];
      expect(token).toBeDefined();
      expect(server.stdout()).toContain(`curl -H "Authorization: Bearer ${token}" ${server.url}/api/containers/<container>/port-forwards`);
      expect(server.stdout().split(token as string)).toHaveLength(3); // the token line and the curl line
      const ok = await fetch(`${server.url}/api/containers/${web.name}/port-forwards`, { headers: { authorization: `Bearer ${token}` } });
      expect(ok.status).toBe(200);
      const wrong = await fetch(`${server.url}/api/containers/${web.name}/port-forwards`, { headers: { authorization: 'Bearer nope' } });
      expect(wrong.status).toBe(401);
    } finally {
      server.child.kill('SIGKILL');
      await server.exited;
    }
  }, TIMEOUTS.engineTest);

  it.each<[string, NodeJS.Signals[]]>([
    ['SIGTERM', ['SIGTERM']],
    // Ctrl-C under `npm start`: the terminal signals the process group, and npm passes its own copy on.
    ['SIGINT twice in a row (Ctrl-C under npm start)', ['SIGINT', 'SIGINT']],
  ])('on %s closes tunnels with 1001 and exits 0 within 5 s', async (_name, signals) => {
    const token = 'sigterm-test-token-0123456789';
    const server = await startServer({ PORTHOLE_ADMIN_TOKEN: token });
    const created = await fetch(`${server.url}/api/containers/${web.id}/port-forwards`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ container_port: web.tcpPort }),
    });
    expect(created.status).toBe(201);
    const forward = (await created.json()) as { websocket_url: string };
    const tunnel = new WebSocket(forward.websocket_url, ['Bearer', token]);
    const closed = new Promise<number>((resolve) => tunnel.on('close', (code) => resolve(code)));
    await new Promise((resolve, reject) => {
      tunnel.once('open', resolve);
      tunnel.once('error', reject);
    });
    const signalledAt = Date.now();
    for (const signal of signals) server.child.kill(signal);
    expect(await closed).toBe(1001);
    expect(await server.exited).toBe(0);
    expect(Date.now() - signalledAt).toBeLessThan(5000);
  }, TIMEOUTS.engineTest);
});
