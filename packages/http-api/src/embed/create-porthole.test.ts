import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import WebSocket from 'ws';
import { InMemoryForwardStore, type Principal } from '@porthole/core';
import { FakeContainerRuntime } from '@porthole/core/testing';
import type { Authenticator } from '../auth/authenticator';
import { startHttpEcho, startTcpServer, startWsEcho, type HttpEcho, type TcpFixture, type WsEcho } from '../testing/fixtures';
import { httpRequest } from '../testing/http-client';
import { TEST_TIMEOUT_MS } from '../testing/test-timeouts';
import { createPorthole, type Porthole } from './create-porthole';

jest.setTimeout(TEST_TIMEOUT_MS);

const CONTAINER = 'c0ffee000000000000000000000000000000000000000000000000000000c0f0';
/** The platform's sessions: its own credential, not a Porthole token. */
const SESSIONS = new Map<string, Principal>([['session-of-alice', { id: 'alice', role: 'user' }]]);
const platformAuth: Authenticator = { authenticate: async (credential) => SESSIONS.get(credential) ?? null };
const alice = { authorization: 'Bearer session-of-alice' };

interface Platform {
  readonly port: number;
  readonly porthole: Porthole;
  readonly runtime: FakeContainerRuntime;
  close(): Promise<void>;
}

/**
 * A platform's own Express app and server, with Porthole mounted as `mount` says: at the
 * root, or at `/porthole` (with `app.use(path, router)` or `app.use(router)`).
 */
async function startPlatform(mount: 'root' | 'prefix' | 'prefix-unmounted'): Promise<Platform> {
  const runtime = new FakeContainerRuntime([{ id: CONTAINER, name: 'web', owner: 'alice' }]);
  const server: Server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const port = (server.address() as AddressInfo).port;
  const base = mount === 'root' ? '' : '/porthole';
  const porthole = createPorthole({ runtime, store: new InMemoryForwardStore(), authenticator: platformAuth, publicUrl: `http://127.0.0.1:${port}${base}` });
  const app = express();
  app.get('/platform/hello', (_req, res) => {
    res.json({ hello: 'from the platform' });
  });
  if (mount === 'prefix') app.use('/porthole', porthole.router);
  else app.use(porthole.router);
  app.use((_req, res) => {
    res.status(404).json({ platform: 'not found' });
  });
  server.on('request', app);
  server.on('upgrade', (req, socket, head) => {
    if (!porthole.handleUpgrade(req, socket, head)) socket.end('HTTP/1.1 404 Not Found\r\nX-Platform: yes\r\nContent-Length: 0\r\n\r\n');
  });
  await porthole.start();
  return {
    port,
    porthole,
    runtime,
    close: async () => {
      await porthole.close();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

function openWs(url: string, protocols: string[] = [], headers: Record<string, string> = {}): Promise<{ ws: WebSocket; first: Promise<Buffer> }> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, protocols, { headers });
    const first = new Promise<Buffer>((done) => ws.once('message', (data: Buffer) => done(Buffer.from(data))));
    ws.once('open', () => resolve({ ws, first }));
    ws.once('unexpected-response', (_req, res) => reject(new Error(`refused with ${res.statusCode}`)));
    ws.once('error', reject);
  });
}

let web: HttpEcho;
let chat: WsEcho;
let tcp: TcpFixture;

beforeAll(async () => {
  web = await startHttpEcho();
  chat = await startWsEcho();
  tcp = await startTcpServer();
});

afterAll(async () => {
  await Promise.all([web.close(), chat.close(), tcp.close()]);
});

describe.each([
  ['at the root', 'root', ''],
  ['under /porthole with app.use(path, router)', 'prefix', '/porthole'],
  ['under /porthole with app.use(router)', 'prefix-unmounted', '/porthole'],
] as const)('Porthole mounted %s', (_description, mount, base) => {
  let platform: Platform;

  beforeEach(async () => {
    platform = await startPlatform(mount);
    platform.runtime.listen(CONTAINER, 8080, web.address);
    platform.runtime.listen(CONTAINER, 8081, chat.address);
    platform.runtime.listen(CONTAINER, 9000, tcp.address);
  });

  afterEach(() => platform.close());

  const create = async (containerPort: number) => {
    const created = await httpRequest({
      port: platform.port,
      method: 'POST',
      path: `${base}/api/containers/web/port-forwards`,
      headers: { ...alice, 'content-type': 'application/json' },
      body: JSON.stringify({ container_port: containerPort }),
    });
    expect(created.status).toBe(201);
    return { json: JSON.parse(created.text) as { id: string; proxy_url: string; websocket_url: string; local_port: number }, location: created.headers.location };
  };

  it.each([
    ['the platform route', '/platform/hello', {}, 200, 'from the platform'],
    ['an API call without the platform credential', `${base}/api/containers/web/port-forwards`, {}, 401, 'unauthenticated'],
    ['an API call with the platform credential', `${base}/api/containers/web/port-forwards`, alice, 200, '[]'],
    ['the health probe', `${base}/healthz`, {}, 200, '"ok"'],
    ['a path that is not Porthole’s', '/platform/elsewhere', {}, 404, '"platform"'],
  ])('sends %s to the right place', async (_what, path, headers, status, contains) => {
    const response = await httpRequest({ port: platform.port, path, headers });
    expect(response.status).toBe(status);
    expect(response.text).toContain(contains);
  });

  it('hands out links under the public URL, and proxies through them', async () => {
    const { json, location } = await create(8080);
    const origin = `127.0.0.1:${platform.port}`;
    expect(json.proxy_url).toBe(`http://${origin}${base}/p/${json.id}/`);
    expect(json.websocket_url).toBe(`ws://${origin}${base}/ws/port-forward/${json.id}`);
    expect(location).toBe(`${base}/api/containers/web/port-forwards/${json.id}`);
    // The default allocator books a number and opens nothing.
    expect(json.local_port).toBeGreaterThanOrEqual(20000);

    const proxied = await httpRequest({ port: platform.port, path: `${base}/p/${json.id}/hello?x=1`, headers: alice });
    expect(proxied.status).toBe(200);
    const seen = JSON.parse(proxied.text) as { url: string; headers: Record<string, string> };
    expect(seen.url).toBe('/hello?x=1');
    expect(seen.headers['x-forwarded-prefix']).toBe(`${base}/p/${json.id}`);
    expect(seen.headers.authorization).toBeUndefined();

    const bare = await httpRequest({ port: platform.port, path: `${base}/p/${json.id}?q=1`, headers: alice });
    expect(bare.status).toBe(308);
    expect(bare.headers.location).toBe(`${base}/p/${json.id}/?q=1`);
  });

  it('scopes the browser session cookie to the forward under the base path', async () => {
    const { json } = await create(8080);
    const link = await httpRequest({ port: platform.port, method: 'POST', path: `${base}/api/containers/web/port-forwards/${json.id}/links`, headers: alice });
    const url = new URL((JSON.parse(link.text) as { url: string }).url);
    const opened = await httpRequest({ port: platform.port, path: `${url.pathname}${url.search}` });
    expect(opened.headers['set-cookie']?.[0]).toContain(`Path=${base}/p/${json.id}/`);
  });

  it('proxies a WebSocket and opens a tunnel through the platform’s server', async () => {
    const ws = await create(8081);
    const proxied = await openWs(ws.json.proxy_url.replace('http:', 'ws:') + 'room', [], alice);
    expect(JSON.parse((await proxied.first).toString())).toMatchObject({ url: '/room' });
    proxied.ws.close();

    const echo = await create(9000);
    const tunnel = await openWs(echo.json.websocket_url, ['Bearer', 'session-of-alice']);
    tunnel.ws.send(Buffer.from('ping through the tunnel'));
    expect((await tunnel.first).toString()).toBe('ping through the tunnel');
    const closed = once(tunnel.ws, 'close');
    await platform.porthole.close();
    const [code] = (await closed) as [number];
    expect(code).toBe(1001);
  });

  it('refuses a tunnel without the platform credential, and leaves other upgrades to the platform', async () => {
    const echo = await create(9000);
    await expect(openWs(echo.json.websocket_url, ['Bearer', 'not-a-session'])).rejects.toThrow('refused with 401');
    await expect(openWs(`ws://127.0.0.1:${platform.port}/platform/socket`)).rejects.toThrow('refused with 404');
  });
});

it('refuses what lies outside the base path at Porthole’s own server', async () => {
  const runtime = new FakeContainerRuntime([{ id: CONTAINER, name: 'web', owner: 'alice' }]);
  const porthole = createPorthole({ runtime, store: new InMemoryForwardStore(), authenticator: platformAuth, publicUrl: 'http://127.0.0.1/porthole/' });
  const server = createServer(porthole.http.handleRequest);
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const port = (server.address() as AddressInfo).port;
  try {
    const outside = await httpRequest({ port, path: '/api/containers/web/port-forwards', headers: alice });
    expect(outside.status).toBe(404);
    expect(outside.text).toContain('route_not_found');
    expect((await httpRequest({ port, path: '/porthole/healthz' })).status).toBe(200);
  } finally {
    await porthole.close();
    server.close();
  }
});

it('answers at the root when told to, whatever the public URL’s path (apps/server behind a proxy)', async () => {
  const runtime = new FakeContainerRuntime([{ id: CONTAINER, name: 'web', owner: 'alice' }]);
  runtime.listen(CONTAINER, 8080, web.address);
  const porthole = createPorthole({ runtime, store: new InMemoryForwardStore(), authenticator: platformAuth, publicUrl: 'https://example.com/porthole', basePath: '' });
  const server = createServer(porthole.http.handleRequest);
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const port = (server.address() as AddressInfo).port;
  try {
    const created = await httpRequest({
      port,
      method: 'POST',
      path: '/api/containers/web/port-forwards',
      headers: { ...alice, 'content-type': 'application/json' },
      body: JSON.stringify({ container_port: 8080 }),
    });
    expect(created.status).toBe(201);
    const forward = JSON.parse(created.text) as { id: string; proxy_url: string };
    expect(forward.proxy_url).toBe(`https://example.com/porthole/p/${forward.id}/`);
    expect((await httpRequest({ port, path: `/p/${forward.id}/`, headers: alice })).status).toBe(200);
  } finally {
    await porthole.close();
    server.close();
  }
});
