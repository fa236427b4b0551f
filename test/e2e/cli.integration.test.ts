/**
 * The `porthole` CLI as a child process against Porthole over a real Docker engine:
 * login, the forward commands (tables, --json, the server's error lines, a custom domain),
 * and connect's byte relay and refusals. Redis end to end is in cli-redis.integration.test.ts.
 */
import { randomBytes } from 'node:crypto';
import { statSync } from 'node:fs';
import { connect as tcpConnect, type Socket } from 'node:net';
import path from 'node:path';
import { describeDocker, removeTestContainers, startFixtureContainer, type FixtureContainer } from '../support/docker';
import { cliEnv, removeCliConfigHomes, runPorthole, startPortholeConnect, type CliEnv } from '../support/cli-process';
import { rawRequest } from '../support/http';
import { E2E_TOKEN, startTestPorthole, type TestPorthole } from '../support/porthole';
import { TIMEOUTS, waitFor } from '../support/timeouts';

/** Connects to the CLI's local port; collects what comes back until the socket ends. */
function localConnection(port: number): Promise<{ socket: Socket; received: () => Buffer; ended: Promise<void> }> {
  return new Promise((resolve, reject) => {
    const socket = tcpConnect({ host: '127.0.0.1', port });
    const chunks: Buffer[] = [];
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    const ended = new Promise<void>((done) => socket.once('close', () => done()));
    socket.once('error', reject);
    socket.once('connect', () => resolve({ socket, received: () => Buffer.concat(chunks), ended }));
  });
}

describeDocker('the porthole CLI against a real engine', () => {
  let porthole: TestPorthole;
  let app: FixtureContainer;
  let env: CliEnv;

  beforeAll(async () => {
    app = await startFixtureContainer();
    porthole = await startTestPorthole();
    env = cliEnv({ PORTHOLE_URL: porthole.url, PORTHOLE_TOKEN: E2E_TOKEN });
  }, TIMEOUTS.engineHook);

  afterAll(async () => {
    removeCliConfigHomes();
    await porthole?.close();
    await removeTestContainers();
  }, TIMEOUTS.engineHook);

  it('login saves URL and token 0600; forward create, ls and rm then work from the saved login alone', async () => {
    const saved = cliEnv();
    const login = await runPorthole(['login', '--url', porthole.url], saved, `${E2E_TOKEN}\n`);
    expect(login).toMatchObject({ code: 0, stderr: '' });
    const file = path.join(saved['XDG_CONFIG_HOME'] ?? '', 'porthole', 'config.json');
    expect(statSync(file).mode & 0o777).toBe(0o600);

    const created = await runPorthole(['forward', 'create', app.name, String(app.tcpPort), '--name', 'echo', '--json'], saved);
    expect(created).toMatchObject({ code: 0, stderr: '' });
    const forward = JSON.parse(created.stdout);
    expect(forward).toMatchObject({ container_id: app.id, container_port: app.tcpPort, name: 'echo' });

    const table = await runPorthole(['forward', 'ls', app.name], saved);
    expect(table.code).toBe(0);
    expect(table.stdout.split('\n')[0]).toMatch(/^ID\s+NAME\s+PORT\s+LOCAL PORT\s+CREATED$/);
    expect(table.stdout).toMatch(new RegExp(`^${forward.id}\\s+echo\\s+${app.tcpPort}\\s+${forward.local_port}\\s+`, 'm'));

    expect(await runPorthole(['forward', 'rm', app.name, forward.id], saved)).toEqual({ code: 0, stdout: `Removed ${forward.id}.\n`, stderr: '' });
    expect(await runPorthole(['forward', 'ls', app.name, '--json'], saved)).toEqual({ code: 0, stdout: '[]\n', stderr: '' });
  }, TIMEOUTS.engineTest);

  it.each([
    ['a container the engine does not have', ['forward', 'ls', 'porthole-no-such-container'], E2E_TOKEN, 'porthole: No container named "porthole-no-such-container" was found.\n'],
    ['a wrong token', ['forward', 'ls', 'x'], 'wrong-token-0123456789', 'porthole: A valid credential is required: send "Authorization: Bearer <token>". (check the token: run `porthole login`, or set PORTHOLE_TOKEN)\n'],
  ])('prints one line and exits 1 for %s', async (_description, argv, token, line) => {
    expect(await runPorthole(argv, { ...env, PORTHOLE_TOKEN: token })).toEqual({ code: 1, stdout: '', stderr: line });
  }, TIMEOUTS.engineTest);

  it('prints the server\'s message for a port forwarded twice (403)', async () => {
    const first = await runPorthole(['forward', 'create', app.id, String(app.httpPort), '--json'], env);
    expect(first.code).toBe(0);
    const again = await runPorthole(['forward', 'create', app.id, String(app.httpPort)], env);
    expect(again).toEqual({ code: 1, stdout: '', stderr: `porthole: Port ${app.httpPort} is already forwarded for this container.\n` });
    await runPorthole(['forward', 'rm', app.id, JSON.parse(first.stdout).id], env);
  }, TIMEOUTS.engineTest);

  it('connect relays 256 KB byte-exact to the container\'s TCP echo and stops cleanly on Ctrl-C', async () => {
    const created = await porthole.api('POST', `/api/containers/${app.id}/port-forwards`, { container_port: app.tcpPort });
    const connect = await startPortholeConnect([created.json.id], env);
    const local = await localConnection(connect.port);
    const payload = randomBytes(256 * 1024);
    local.socket.write(payload);
    await waitFor('the echo', () => (local.received().length >= payload.length ? true : undefined), 10_000);
    expect(local.received().equals(payload)).toBe(true);
    expect(await connect.stop()).toEqual({ code: 0, signal: null });
    await local.ended;
    expect(connect.stderr()).toBe('');
    await porthole.api('DELETE', `/api/containers/${app.id}/port-forwards/${created.json.id}`);
  }, TIMEOUTS.engineTest);

  it('connect reports 502 (nothing listens) per connection and keeps listening', async () => {
    const created = await porthole.api('POST', `/api/containers/${app.id}/port-forwards`, { container_port: 4999 });
    const connect = await startPortholeConnect([created.json.id], env);
    await (await localConnection(connect.port)).ended;
    await waitFor('the 502 line', () => (connect.stderr() !== '' ? true : undefined), 5_000);
    expect(connect.stderr()).toBe('porthole: Nothing accepts connections on port 4999 of the container.\n');
    expect(await connect.stop()).toEqual({ code: 0, signal: null });
    await porthole.api('DELETE', `/api/containers/${app.id}/port-forwards/${created.json.id}`);
  }, TIMEOUTS.engineTest);

  it.each([
    ['an unknown forward (404)', 'pf_NoSuchForward00000000', E2E_TOKEN, 'porthole: No port forward "pf_NoSuchForward00000000" was found.\n'],
    ['a wrong token (401)', 'pf_NoSuchForward00000000', 'wrong-token-0123456789', 'porthole: A valid credential is required: send "Authorization: Bearer <token>". (check the token: run `porthole login`, or set PORTHOLE_TOKEN)\n'],
  ])('connect stops with one line and exit 1 for %s', async (_description, id, token, line) => {
    const connect = await startPortholeConnect([id], { ...env, PORTHOLE_TOKEN: token });
    await (await localConnection(connect.port)).ended;
    expect(await connect.exited).toEqual({ code: 1, signal: null });
    expect(connect.stderr()).toBe(line);
  }, TIMEOUTS.engineTest);

  it('connect --stdio exits 1 with the server\'s line when the tunnel is refused', async () => {
    const result = await runPorthole(['connect', '--stdio', 'pf_NoSuchForward00000000'], env);
    expect(result).toEqual({ code: 1, stdout: '', stderr: 'porthole: No port forward "pf_NoSuchForward00000000" was found.\n' });
  }, TIMEOUTS.engineTest);

  it('forward create --domain routes the domain to the container; forward domain --clear takes it back', async () => {
    // The admin token is enterprise, which has custom domains. A Host on loopback stands in for DNS.
    const domain = `cli-${randomBytes(4).toString('hex')}.example.test`;
    const byDomain = () =>
      rawRequest(porthole.url, { path: '/by-domain', headers: { host: `${domain}:${new URL(porthole.url).port}`, authorization: `Bearer ${E2E_TOKEN}` } });

    const created = await runPorthole(['forward', 'create', app.name, String(app.httpPort), '--domain', domain, '--json'], env);
    expect(created).toMatchObject({ code: 0, stderr: '' });
    const forward = JSON.parse(created.stdout);
    expect(forward).toMatchObject({ container_id: app.id, container_port: app.httpPort, custom_domain: domain });
    const served = await byDomain();
    expect([served.status, JSON.parse(served.body.toString()).url]).toEqual([200, '/by-domain']);
    const table = await runPorthole(['forward', 'ls', app.name], env);
    expect(table.stdout).toMatch(new RegExp(`^${forward.id}\\s.*\\s${domain.replace(/\./g, '\\.')}$`, 'm'));

    const cleared = await runPorthole(['forward', 'domain', app.name, forward.id, '--clear'], env);
    expect(cleared).toMatchObject({ code: 0, stderr: '' });
    expect(cleared.stdout).toMatch(new RegExp(`^id\\s+${forward.id}$`, 'm'));
    expect(cleared.stdout).not.toMatch(/^domain/m);
    const listed: { id: string; custom_domain: string | null }[] = JSON.parse((await runPorthole(['forward', 'ls', app.name, '--json'], env)).stdout);
    expect(listed.find((f) => f.id === forward.id)?.custom_domain).toBeNull();
    // Porthole's own routes answer for that Host now, not the app.
    expect((await byDomain()).status).toBe(404);
    expect(await runPorthole(['forward', 'rm', app.name, forward.id], env)).toMatchObject({ code: 0 });
  }, TIMEOUTS.engineTest);
});
