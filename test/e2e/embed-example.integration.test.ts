/**
 * examples/embed as a real process: a platform's own Express app and server with Porthole
 * mounted at /porthole, over the Docker engine, authenticating by the platform's sessions.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { describeDocker, freePort, removeTestContainers, startFixtureContainer, type FixtureContainer } from '../support/docker';
import { collect, openWebSocket, rawRequest } from '../support/http';
import { TIMEOUTS, waitFor } from '../support/timeouts';

const EXAMPLE_ENTRY = path.resolve(__dirname, '../../examples/embed/dist/main.js');

interface Forward {
  readonly id: string;
  readonly proxy_url: string;
  readonly websocket_url: string;
}

describeDocker('examples/embed: Porthole inside a platform', () => {
  let child: ChildProcess;
  let exited: Promise<number | string>;
  let output = '';
  let url: string;
  let app: FixtureContainer;
  let alice: string;
  let web: Forward;
  let tcp: Forward;

  const call = async (method: string, route: string, headers: Record<string, string> = {}, body?: unknown) => {
    const response = await rawRequest(url, {
      method,
      path: route,
      headers: body === undefined ? headers : { ...headers, 'content-type': 'application/json' },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = response.body.toString();
    return { status: response.status, headers: response.headers, text, json: text === '' ? undefined : JSON.parse(text) };
  };
  const login = async (user: string) => {
    const answer = await call('POST', '/platform/login', {}, { user });
    expect(answer.status).toBe(201);
    return { session: answer.json.session as string, cookie: String(answer.headers['set-cookie']?.[0]).split(';')[0] ?? '' };
  };
  const forwardsOf = (container: string) => `/porthole/api/containers/${container}/port-forwards`;
  const create = async (containerPort: number): Promise<Forward> => {
    const created = await call('POST', forwardsOf(app.id), { authorization: `Bearer ${alice}` }, { container_port: containerPort });
    expect(created.status).toBe(201);
    return created.json as Forward;
  };

  beforeAll(async () => {
    app = await startFixtureContainer({ websocket: true, labels: { 'porthole.owner': 'alice' } });
    const port = await freePort();
    url = `http://127.0.0.1:${port}`;
    child = spawn(process.execPath, [EXAMPLE_ENTRY], {
      env: { PATH: process.env['PATH'], DOCKER_HOST: process.env['DOCKER_HOST'], PLATFORM_PORT: String(port) },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
    exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve(code ?? signal ?? 'unknown')));
    await waitFor(
      'the example to listen',
      () => {
        if (child.exitCode !== null) throw new Error(`the example exited early: ${output}`);
        return output.includes('platform listening on') ? true : undefined;
      },
      10_000,
    );
    alice = (await login('alice')).session;
    web = await create(app.httpPort);
    tcp = await create(app.tcpPort);
  }, TIMEOUTS.engineHook);

  afterAll(async () => {
    if (child?.exitCode === null) child.kill('SIGKILL');
    await removeTestContainers();
  }, TIMEOUTS.engineHook);

  it('serves the platform’s own route, to its own session only', async () => {
    expect((await call('GET', '/platform/hello')).status).toBe(401);
    const { cookie } = await login('carol');
    const hello = await call('GET', '/platform/hello', { cookie });
    expect(hello.status).toBe(200);
    expect(hello.json).toMatchObject({ hello: 'carol', porthole: `${url}/porthole` });
  }, TIMEOUTS.engineTest);

  it.each([
    ['no credential', {}],
    ['a credential the platform never issued', { authorization: 'Bearer not-a-platform-session' }],
    // The REST API takes explicit bearer credentials only, so pages cannot drive it.
    ['the platform’s cookie alone', 'cookie'],
  ])('refuses Porthole’s API with %s', async (_description, headers) => {
    const sent = headers === 'cookie' ? { cookie: (await login('alice')).cookie } : headers;
    const refused = await call('GET', forwardsOf(app.id), sent);
    expect(refused.status).toBe(401);
    expect(refused.json.error.code).toBe('unauthenticated');
  }, TIMEOUTS.engineTest);

  it('lets another platform user see nothing of alice’s container', async () => {
    const bob = (await login('bob')).session;
    const hidden = await call('GET', forwardsOf(app.id), { authorization: `Bearer ${bob}` });
    expect(hidden.status).toBe(404);
    expect(hidden.json.error.code).toBe('container_not_found');
  }, TIMEOUTS.engineTest);

  it('creates a forward by the platform’s session and proxies HTTP to the container', async () => {
    const forward = web;
    expect(forward.proxy_url).toBe(`${url}/porthole/p/${forward.id}/`);
    expect(forward.websocket_url).toBe(`${url.replace('http:', 'ws:')}/porthole/ws/port-forward/${forward.id}`);

    const proxied = await rawRequest(url, { path: `/porthole/p/${forward.id}/hello?x=1`, headers: { authorization: `Bearer ${alice}` } });
    expect(proxied.status).toBe(200);
    const seen = JSON.parse(proxied.body.toString()) as { url: string; headers: Record<string, string> };
    expect(seen.url).toBe('/hello?x=1');
    expect(seen.headers['x-forwarded-prefix']).toBe(`/porthole/p/${forward.id}`);
    // The platform's session is Porthole's credential here: it never reaches the app.
    expect(proxied.body.toString()).not.toContain(alice);

    expect((await rawRequest(url, { path: `/porthole/p/${forward.id}/hello` })).status).toBe(401);
    // Outside the public URL's path is the platform's: its own 404.
    const outside = await call('GET', `/p/${forward.id}/hello`, { authorization: `Bearer ${alice}` });
    expect(outside.status).toBe(404);
    expect(outside.json).toEqual({ error: 'The platform has no such page.' });
  }, TIMEOUTS.engineTest);

  it('proxies a WebSocket and opens a tunnel through the platform’s server', async () => {
    const proxied = await openWebSocket(`${web.proxy_url.replace('http:', 'ws:')}chat?room=1`, { headers: { authorization: `Bearer ${alice}` } });
    const hello = JSON.parse((await collect(proxied.messages, 1, 5000)).toString()) as { url: string };
    expect(hello.url).toBe('/chat?room=1');
    proxied.ws.send('through the proxy');
    await waitFor('the echo', () => (proxied.messages.length >= 2 ? true : undefined), 5000);
    expect(proxied.messages[1]?.toString()).toBe('through the proxy');
    proxied.ws.close();

    await expect(openWebSocket(tcp.websocket_url, { protocols: ['Bearer', 'not-a-platform-session'] })).rejects.toMatchObject({ status: 401 });
    const tunnel = await openWebSocket(tcp.websocket_url, { protocols: ['Bearer', alice] });
    expect(tunnel.ws.protocol).toBe('Bearer');
    tunnel.ws.send(Buffer.from('bytes through the tunnel'));
    expect((await collect(tunnel.messages, 24, 5000)).toString()).toBe('bytes through the tunnel');
    tunnel.ws.close();
  }, TIMEOUTS.engineTest);

  it('drops the forwards of a stopped container (lifecycle), and stops on SIGTERM', async () => {
    await app.stop();
    await waitFor(
      'the forward to go with its container',
      async () => ((await call('GET', `${forwardsOf(app.id)}/${web.id}`, { authorization: `Bearer ${alice}` })).status === 404 ? true : undefined),
      TIMEOUTS.lifecycleEvent * 2,
    );
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
  }, TIMEOUTS.engineTest);
});
