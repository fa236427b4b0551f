import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import {
  CryptoIdGenerator,
  ForwardService,
  InMemoryForwardStore,
  InProcessEventBus,
  RangePortAllocator,
  systemClock,
} from '@porthole/core';
import { FakeContainerRuntime } from '@porthole/core/testing';
import { StaticTokenAuthenticator } from '../auth/static-token-authenticator';
import { DEFAULT_HTTP_LIMITS } from '../limits';
import { silentLogger } from '../logger';
import { PublicUrls } from '../public-urls';
import { DEFAULT_BROWSER_OPTIONS } from '../app';
import type { AuditEntry } from '../audit/audit-log';
import { BrowserSessions } from '../browser/browser-sessions';
import { forwardsRouter } from './forwards.router';

const ADMIN = 'admin-token-0123456789';
const ALICE = 'alice-token-0123456789';
const PRO = 'pro-alice-token-0123456789';
const WEB = 'a1b2c3d4e5f6000000000000000000000000000000000000000000000000cafe';

let server: Server;
let base: string;
let runtime: FakeContainerRuntime;
let audited: AuditEntry[];

beforeEach(async () => {
  runtime = new FakeContainerRuntime([
    { id: WEB, name: 'web', owner: 'alice' },
    { id: 'fresh000000', name: 'fresh', running: false, state: 'created' },
    { id: 'bobs0000000', name: 'bobs', owner: 'bob' },
  ]);
  const forwards = new ForwardService({
    runtime,
    store: new InMemoryForwardStore(),
    localPorts: new RangePortAllocator({ first: 20000, last: 20099 }),
    ids: new CryptoIdGenerator(),
    clock: systemClock,
    events: new InProcessEventBus(),
    policy: { maxForwardsPerContainer: 10, reservedDomains: ['porthole.example.com'] },
  });
  const authenticator = new StaticTokenAuthenticator([
    { token: ADMIN, principal: { id: 'admin', role: 'admin' } },
    { token: ALICE, principal: { id: 'alice', role: 'user' } },
    { token: PRO, principal: { id: 'alice', role: 'user', plan: 'pro' } },
  ]);
  audited = [];
  const app = express();
  app.use(
    '/api',
    forwardsRouter({
      forwards,
      authenticator,
      urls: new PublicUrls('https://porthole.example.com'),
      sessions: new BrowserSessions(DEFAULT_BROWSER_OPTIONS),
      logger: silentLogger,
      limits: DEFAULT_HTTP_LIMITS,
      audit: (entry) => audited.push(entry),
    }),
  );
  server = createServer(app).listen(0, '127.0.0.1');
  await once(server, 'listening');
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/api/containers`;
});

afterEach(() => server.close());

interface Call {
  method?: string;
  path: string;
  body?: string;
  token?: string | null;
  contentType?: string;
}

async function call({ method = 'GET', path, body, token = ADMIN, contentType = 'application/json' }: Call) {
  const headers: Record<string, string> = {};
  if (token !== null) headers.authorization = `Bearer ${token}`;
  if (body !== undefined) headers['content-type'] = contentType;
  const response = await fetch(`${base}${path}`, { method, headers, ...(body !== undefined ? { body } : {}) });
  const text = await response.text();
  return { status: response.status, json: text.length > 0 ? JSON.parse(text) : undefined, headers: response.headers };
}

const create = (body: unknown, container = 'web', token: string | null = ADMIN) =>
  call({ method: 'POST', path: `/${container}/port-forwards`, body: JSON.stringify(body), token });

describe('POST /api/containers/:id/port-forwards', () => {
  it('creates a forward and answers 201 with the documented JSON', async () => {
    const response = await create({ container_port: 8080, name: 'Web Server' });
    expect(response.status).toBe(201);
    const id = response.json.id as string;
    expect(response.json).toEqual({
      id: expect.stringMatching(/^pf_[0-9a-z]{24}$/),
      container_id: WEB,
      container_port: 8080,
      local_port: 20000,
      name: 'Web Server',
      custom_domain: null,
      proxy_url: `https://porthole.example.com/p/${id}/`,
      websocket_url: `wss://porthole.example.com/ws/port-forward/${id}`,
      created_at: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/),
    });
    expect(response.headers.get('location')).toBe(`/api/containers/web/port-forwards/${id}`);
  });

  it.each<[string, number, string, string, string]>([
    ['port 0', 400, 'invalid_port', '{"container_port":0}', 'application/json'],
    ['port 65536', 400, 'invalid_port', '{"container_port":65536}', 'application/json'],
    ['port -1', 400, 'invalid_port', '{"container_port":-1}', 'application/json'],
    ['port 80.5', 400, 'invalid_port', '{"container_port":80.5}', 'application/json'],
    ['port "8080" (no coercion)', 400, 'invalid_port', '{"container_port":"8080"}', 'application/json'],
    ['port null', 400, 'invalid_port', '{"container_port":null}', 'application/json'],
    ['port missing', 400, 'invalid_port', '{}', 'application/json'],
    ['local_port "20001"', 400, 'invalid_port', '{"container_port":80,"local_port":"20001"}', 'application/json'],
    ['malformed JSON', 400, 'invalid_request', '{"container_port":', 'application/json'],
    ['a JSON array', 400, 'invalid_request', '[8080]', 'application/json'],
    ['a bare number', 400, 'invalid_request', '8080', 'application/json'],
    ['a bare string', 400, 'invalid_request', '"x"', 'application/json'],
    ['an unknown field', 400, 'invalid_request', '{"container_port":80,"host":"10.0.0.1"}', 'application/json'],
    ['a numeric name', 400, 'invalid_request', '{"container_port":80,"name":5}', 'application/json'],
    ['a name of 101 characters', 400, 'invalid_request', JSON.stringify({ container_port: 80, name: 'n'.repeat(101) }), 'application/json'],
    ['a __proto__ key', 400, 'invalid_request', '{"container_port":80,"__proto__":{"x":1}}', 'application/json'],
    ['not JSON at all', 400, 'invalid_request', 'container_port=80', 'application/x-www-form-urlencoded'],
    ['a body over the API limit', 413, 'payload_too_large', JSON.stringify({ container_port: 80, name: 'x'.repeat(70 * 1024) }), 'application/json'],
  ])('%s → %d %s', async (_description, status, code, body, contentType) => {
    const response = await call({ method: 'POST', path: '/web/port-forwards', body, contentType });
    expect(response.status).toBe(status);
    expect(response.json.error.code).toBe(code);
    expect(response.json.error.message).toMatch(/\.$/);
  });

  it('says a body that is JSON but not an object must be one', async () => {
    const response = await call({ method: 'POST', path: '/web/port-forwards', body: '"8080"' });
    expect(response.json.error.message).toMatch(/must be a JSON object/);
  });

  it.each([
    ['malformed percent-encoding in the container', '/%zz/port-forwards'],
    ['a lone percent sign', '/%/port-forwards'],
    ['invalid UTF-8 escapes', '/%FF%FE/port-forwards'],
    ['malformed percent-encoding in the forward id', '/web/port-forwards/%zz'],
  ])('answers %s with 400 invalid_request, not 500', async (_description, path) => {
    const response = await call({ path });
    expect([response.status, response.json.error.code]).toEqual([400, 'invalid_request']);
  });

  it.each([
    ['gzip', 'gzip'],
    ['brotli', 'br'],
    ['deflate', 'deflate'],
  ])('answers a corrupt %s body with 400 invalid_request, not 500', async (_description, encoding) => {
    const response = await fetch(`${base}/web/port-forwards`, {
      method: 'POST',
      headers: { authorization: `Bearer ${ADMIN}`, 'content-type': 'application/json', 'content-encoding': encoding },
      body: '{"container_port":8080}',
    });
    const json = (await response.json()) as { error: { code: string } };
    expect([response.status, json.error.code]).toEqual([400, 'invalid_request']);
  });

  it('names the offending field in details', async () => {
    const response = await create({ container_port: 80, color: 'red', name: 1 });
    expect(response.json.error.details).toEqual(
      expect.arrayContaining([
        { field: 'color', message: 'color is not a known field.' },
        { field: 'name', message: 'name must be a string or null.' },
      ]),
    );
  });

  it.each<[string, string, number, string]>([
    ['an unknown container', 'nope', 404, 'container_not_found'],
    ['a created, never started container', 'fresh', 409, 'container_not_running'],
  ])('%s → %d %s', async (_description, container, status, code) => {
    const response = await create({ container_port: 80 }, container);
    expect([response.status, response.json.error.code]).toEqual([status, code]);
  });

  it('refuses a duplicate with 403 and the eleventh forward with 429', async () => {
    for (let port = 1; port <= 10; port += 1) expect((await create({ container_port: port })).status).toBe(201);
    const duplicate = await create({ container_port: 3 });
    expect([duplicate.status, duplicate.json.error.code]).toEqual([403, 'port_already_forwarded']);
    expect(duplicate.json.error.message).toBe('Port 3 is already forwarded for this container.');
    const eleventh = await create({ container_port: 11 });
    expect([eleventh.status, eleventh.json.error.code]).toEqual([429, 'limit_exceeded']);
  });

  it('refuses a taken or out-of-range local_port with 409', async () => {
    expect((await create({ container_port: 1, local_port: 20005 })).status).toBe(201);
    const taken = await create({ container_port: 2, local_port: 20005 });
    expect([taken.status, taken.json.error.code]).toEqual([409, 'local_port_unavailable']);
    const outside = await create({ container_port: 2, local_port: 80 });
    expect([outside.status, outside.json.error.code]).toEqual([409, 'local_port_unavailable']);
  });

  it('answers 503 runtime_unavailable when the runtime is down', async () => {
    runtime.setUnavailable(true);
    const response = await create({ container_port: 80 });
    expect([response.status, response.json.error.code]).toEqual([503, 'runtime_unavailable']);
  });

  it('holds under 30 concurrent creates for 15 ports: exactly 10 forwards', async () => {
    const responses = await Promise.all(Array.from({ length: 30 }, (_, i) => create({ container_port: 7000 + (i % 15) })));
    expect(responses.filter((r) => r.status === 201)).toHaveLength(10);
    expect(responses.filter((r) => r.status !== 201).every((r) => r.status === 403 || r.status === 429)).toBe(true);
    const list = await call({ path: '/web/port-forwards' });
    expect(new Set(list.json.map((f: { container_port: number }) => f.container_port)).size).toBe(10);
  });
});

describe('credentials and visibility', () => {
  it.each<[string, string | null]>([
    ['no credential', null],
    ['a wrong token', 'not-the-token'],
    ['an empty token', ''],
  ])('%s → 401 unauthenticated, before the body is read', async (_description, token) => {
    const response = await call({ method: 'POST', path: '/web/port-forwards', body: '{not json', token });
    expect([response.status, response.json.error.code]).toEqual([401, 'unauthenticated']);
  });

  it('audits a credential that was presented and refused, not a missing one', async () => {
    await call({ path: '/web/port-forwards', token: null });
    await call({ path: '/web/port-forwards', token: 'a-guessed-token-000000' });
    expect(audited).toEqual([
      { event: 'access.denied', principal: null, role: null, container: null, forward: null, reason: 'bad_credential', remote_address: '127.0.0.1', path: '/api/containers/web/port-forwards' },
    ]);
  });

  it('answers 401 on every route without a credential', async () => {
    for (const [method, path] of [['GET', '/web/port-forwards'], ['GET', '/web/port-forwards/pf_x'], ['DELETE', '/web/port-forwards/pf_x'], ['GET', '/nowhere']]) {
      expect((await call({ method, path: path as string, token: null })).status).toBe(401);
    }
  });

  it("shows a user their own container and hides others' as 404", async () => {
    expect((await create({ container_port: 80 }, 'web', ALICE)).status).toBe(201);
    const other = await create({ container_port: 80 }, 'bobs', ALICE);
    expect([other.status, other.json.error.code]).toEqual([404, 'container_not_found']);
    const list = await call({ path: '/bobs/port-forwards', token: ALICE });
    expect(list.status).toBe(404);
  });
});

describe('custom domains', () => {
  const patch = (id: string, body: string, token = PRO) =>
    call({ method: 'PATCH', path: `/web/port-forwards/${id}`, body, token });

  it('takes one on create and on PATCH, shows it, and offers the link there too', async () => {
    const made = await create({ container_port: 80, custom_domain: 'App.Example.com' }, 'web', PRO);
    expect([made.status, made.json.custom_domain]).toEqual([201, 'app.example.com']);
    const changed = await patch(made.json.id, '{"custom_domain":"web.example.com"}');
    expect([changed.status, changed.json.custom_domain]).toEqual([200, 'web.example.com']);
    const link = await call({ method: 'POST', path: `/web/port-forwards/${made.json.id}/links`, token: PRO });
    const token = new URL(link.json.url).searchParams.get('porthole_link');
    expect(link.json.custom_domain_url).toBe(`https://web.example.com/?porthole_link=${token}`);
    const cleared = await patch(made.json.id, '{"custom_domain":null}', ALICE);
    expect([cleared.status, cleared.json.custom_domain]).toEqual([200, null]);
    expect((await call({ path: `/web/port-forwards/${made.json.id}` })).json.custom_domain).toBeNull();
  });

  it.each<[string, string, string, number, string]>([
    ['a free plan', '{"custom_domain":"a.example.com"}', ALICE, 403, 'plan_required'],
    ['a bad host name', '{"custom_domain":"a b"}', PRO, 400, 'invalid_request'],
    ['Porthole\'s own host', '{"custom_domain":"porthole.example.com"}', PRO, 400, 'invalid_request'],
    ['another field', '{"custom_domain":null,"name":"x"}', PRO, 400, 'invalid_request'],
    ['no custom_domain at all', '{}', PRO, 400, 'invalid_request'],
    ['not an object', '"a.example.com"', PRO, 400, 'invalid_request'],
  ])('PATCH with %s', async (_description, body, token, status, code) => {
    const forward = (await create({ container_port: 80 })).json;
    const response = await patch(forward.id, body, token);
    expect([response.status, response.json.error.code]).toEqual([status, code]);
    expect(response.json.error.message).toMatch(/\.$/);
  });

  it('names every field that is wrong in a PATCH', async () => {
    const forward = (await create({ container_port: 80 })).json;
    const response = await patch(forward.id, '{"container_port":9000}');
    expect(response.json.error.details).toEqual([
      { field: 'container_port', message: 'container_port cannot be changed; only custom_domain can.' },
      { field: 'custom_domain', message: 'custom_domain is required: a host name, or null to remove it.' },
    ]);
  });

  it('gives a domain to one forward only: 409 domain_taken', async () => {
    expect((await create({ container_port: 80, custom_domain: 'one.example.com' }, 'web', PRO)).status).toBe(201);
    const second = await create({ container_port: 81, custom_domain: 'one.example.com' }, 'web', PRO);
    expect([second.status, second.json.error.code]).toEqual([409, 'domain_taken']);
    expect(second.json.error.message).toBe('The domain one.example.com is already used by another port forward.');
  });

  it('says which plans have custom domains', async () => {
    const response = await create({ container_port: 80, custom_domain: 'a.example.com' }, 'web', ALICE);
    expect(response.json.error).toEqual({ code: 'plan_required', message: 'Custom domains need the pro or enterprise plan; yours is free.' });
  });
});

describe('list, get, delete', () => {
  it('lists oldest first, gets one, deletes it once', async () => {
    const first = (await create({ container_port: 80 })).json;
    const second = (await create({ container_port: 81 })).json;
    const list = await call({ path: `/${WEB.slice(0, 12)}/port-forwards` });
    expect(list.json.map((f: { id: string }) => f.id)).toEqual([first.id, second.id]);
    expect((await call({ path: `/web/port-forwards/${first.id}` })).json).toEqual(first);
    expect((await call({ method: 'DELETE', path: `/web/port-forwards/${first.id}` })).status).toBe(204);
    const again = await call({ method: 'DELETE', path: `/web/port-forwards/${first.id}` });
    expect([again.status, again.json.error.code]).toEqual([404, 'forward_not_found']);
    expect((await call({ path: '/web/port-forwards' })).json.map((f: { id: string }) => f.id)).toEqual([second.id]);
  });

  it('does not find a forward through another container', async () => {
    const forward = (await create({ container_port: 80 })).json;
    const response = await call({ path: `/bobs/port-forwards/${forward.id}` });
    expect([response.status, response.json.error.code]).toEqual([404, 'forward_not_found']);
  });

  it('answers an unknown route under /api with 404 in the JSON shape', async () => {
    const response = await call({ path: '/web/nothing-here' });
    expect([response.status, response.json.error.code]).toEqual([404, 'route_not_found']);
  });
});
