import WebSocket from 'ws';
import type { PortForward } from '@porthole/core';
import { startHttpEcho, startWsEcho, type EchoReply, type HttpEcho, type WsEcho, type WsHello } from '../testing/fixtures';
import { httpRequest, type HttpResult } from '../testing/http-client';
import { ADMIN_TOKEN, ALICE_TOKEN, BOB_CONTAINER, startTestPorthole, type TestPorthole } from '../testing/porthole-test-server';
import { TEST_TIMEOUT_MS, WAIT_MS } from '../testing/test-timeouts';

jest.setTimeout(TEST_TIMEOUT_MS);

// Browser sessions over the real HTTP server: the token or link exchange, the cookie, what
// reaches the app, and what must not (README "Browsers").

let porthole: TestPorthole;
let app: HttpEcho;
let forward: PortForward;

beforeEach(async () => {
  porthole = await startTestPorthole();
  app = await startHttpEcho();
  forward = await porthole.forward(app.address);
});

afterEach(async () => {
  await porthole.close();
  await app.close();
  expect(porthole.logger.messages('error')).toEqual([]);
});

function get(path: string, headers: Record<string, string> = {}, method = 'GET'): Promise<HttpResult> {
  return httpRequest({ port: porthole.port, path, method, headers });
}

/** The `name=value` of our session cookie from a Set-Cookie answer. */
function sessionPair(result: HttpResult): string {
  const cookie = (result.headers['set-cookie'] ?? []).find((c) => c.startsWith('porthole_session='));
  if (cookie === undefined) throw new Error(`no session cookie in ${JSON.stringify(result.headers)}`);
  return cookie.split(';')[0] ?? '';
}

async function signIn(target: PortForward = forward): Promise<string> {
  return sessionPair(await get(`/p/${target.id}/?porthole_token=${ADMIN_TOKEN}`));
}

describe('without a session', () => {
  it('shows a browser a 401 page that says what to do', async () => {
    const result = await get(`/p/${forward.id}/`, { accept: 'text/html,application/xhtml+xml' });
    expect(result.status).toBe(401);
    expect(result.headers['content-type']).toMatch(/^text\/html/);
    expect(result.text).toContain('porthole_token');
    expect(result.text).toContain('/links');
  });

  it('gives an API client the JSON shape', async () => {
    const result = await get(`/p/${forward.id}/`, { accept: 'application/json' });
    expect(result.status).toBe(401);
    expect(JSON.parse(result.text).error.code).toBe('unauthenticated');
  });
});

describe('the token exchange', () => {
  it('sets a forward-scoped HttpOnly cookie and redirects to the same address without the token', async () => {
    const result = await get(`/p/${forward.id}/a/b%2Fc?x=1&porthole_token=${ADMIN_TOKEN}&y=%20`);
    expect(result.status).toBe(302);
    expect(result.headers.location).toBe(`/p/${forward.id}/a/b%2Fc?x=1&y=%20`);
    const cookie = result.headers['set-cookie']?.[0] ?? '';
    expect(cookie).toMatch(new RegExp(`^porthole_session=[A-Za-z0-9_-]{43}; Path=/p/${forward.id}/; Max-Age=86400; HttpOnly; SameSite=Lax$`));
    expect(result.headers['referrer-policy']).toBe('no-referrer');
  });

  it('marks the cookie Secure, and tells the app X-Forwarded-Proto: https, when the public URL is https', async () => {
    await porthole.close();
    porthole = await startTestPorthole({ publicUrl: 'https://porthole.example.com' });
    forward = await porthole.forward(app.address);
    const cookie = (await get(`/p/${forward.id}/?porthole_token=${ADMIN_TOKEN}`)).headers['set-cookie']?.[0];
    expect(cookie).toMatch(/; Secure$/);
    const echo = JSON.parse((await get(`/p/${forward.id}/`, { authorization: `Bearer ${ADMIN_TOKEN}` })).text) as EchoReply;
    expect(echo.headers['x-forwarded-proto']).toBe('https');
  });

  it.each([
    ['an unknown token', 'not-a-token', 401],
    ["a token whose owner may not see the container (404, as if it did not exist)", ALICE_TOKEN, 404],
  ])('refuses %s', async (_name, token, status) => {
    await porthole.close();
    porthole = await startTestPorthole();
    forward = await porthole.forward(app.address, BOB_CONTAINER);
    const result = await get(`/p/${forward.id}/?porthole_token=${token}`);
    expect(result.status).toBe(status);
    expect(result.headers['set-cookie']).toBeUndefined();
  });

  it('takes a token only on a navigation (GET), not on a POST', async () => {
    const result = await get(`/p/${forward.id}/?porthole_token=${ADMIN_TOKEN}`, { 'content-type': 'text/plain' }, 'POST');
    expect(result.status).toBe(400);
    expect(JSON.parse(result.text).error.code).toBe('invalid_request');
  });
});

describe('with a session', () => {
  it('reaches the app with only the app\'s own cookies, query and Authorization', async () => {
    const session = await signIn();
    const result = await get(`/p/${forward.id}/echo?q=1`, {
      cookie: `theme=dark; ${session}; lang=en`,
      authorization: 'Basic YXBwOnNlY3JldA==',
    });
    expect(result.status).toBe(200);
    const echo = JSON.parse(result.text) as EchoReply;
    expect(echo.url).toBe('/echo?q=1');
    expect(echo.headers.cookie).toBe('theme=dark; lang=en');
    // The session authenticated the request: this header is the app's, not Porthole's.
    expect(echo.headers.authorization).toBe('Basic YXBwOnNlY3JldA==');
    expect(JSON.stringify(echo.headers)).not.toContain(session.split('=')[1]);
  });

  it("drops the Cookie header when Porthole's was the only cookie", async () => {
    const session = await signIn();
    const echo = JSON.parse((await get(`/p/${forward.id}/`, { cookie: session })).text) as EchoReply;
    expect(echo.headers.cookie).toBeUndefined();
  });

  it('is refused on another forward (404-free: the other forward simply asks for a session)', async () => {
    const other = await porthole.forward(app.address);
    const session = await signIn();
    const result = await get(`/p/${other.id}/`, { cookie: session });
    expect(result.status).toBe(401);
  });

  it('is never a credential for the REST API', async () => {
    const session = await signIn();
    const result = await get(`/api/containers/${forward.containerId}/port-forwards`, { cookie: session });
    expect(result.status).toBe(401);
  });

  it.each<[string, Record<string, string>, number]>([
    ['from its own page (Origin)', { origin: 'http://porthole.test' }, 200],
    ['from its own page (Sec-Fetch-Site)', { 'sec-fetch-site': 'same-origin', origin: 'http://porthole.test' }, 200],
    ['from a program (no Origin)', {}, 200],
    ['from another site', { origin: 'https://evil.example' }, 403],
    ['from a sibling on the same site', { 'sec-fetch-site': 'same-site', origin: 'http://pf-evil.porthole.test' }, 403],
  ])('takes a POST %s', async (_name, headers, status) => {
    const session = await signIn();
    const result = await get(`/p/${forward.id}/form`, { cookie: session, host: 'porthole.test', 'content-type': 'text/plain', ...headers }, 'POST');
    expect(result.status).toBe(status);
    if (status === 403) {
      expect(JSON.parse(result.text).error).toMatchObject({
        code: 'origin_not_allowed',
        message: `A request or WebSocket authenticated by a Porthole session must come from the forward's own pages, not from ${headers['origin']}.`,
      });
    }
  });

  it('checks no Origin on a POST with a bearer header (no ambient credential)', async () => {
    const result = await get(`/p/${forward.id}/form`, { authorization: `Bearer ${ADMIN_TOKEN}`, origin: 'https://evil.example' }, 'POST');
    expect(result.status).toBe(200);
  });

  it('dies with its forward', async () => {
    const session = await signIn();
    await porthole.remove(forward);
    expect((await get(`/p/${forward.id}/`, { cookie: session })).status).toBe(401);
  });
});

describe('one-time links', () => {
  async function issue(target: PortForward = forward, body?: string): Promise<HttpResult> {
    return httpRequest({
      port: porthole.port,
      path: `/api/containers/${target.containerId}/port-forwards/${target.id}/links`,
      method: 'POST',
      headers: { authorization: `Bearer ${ADMIN_TOKEN}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      ...(body === undefined ? {} : { body }),
    });
  }

  it('opens a session once, then never again', async () => {
    const issued = await issue();
    expect(issued.status).toBe(201);
    const { url, expires_at: expiresAt } = JSON.parse(issued.text) as { url: string; expires_at: string };
    expect(url).toMatch(new RegExp(`^http://porthole.test/p/${forward.id}/\\?porthole_link=[A-Za-z0-9_-]{43}$`));
    expect(Date.parse(expiresAt) - Date.now()).toBeGreaterThan(4 * 60 * 1000);
    const path = url.replace('http://porthole.test', '');
    const first = await get(path);
    expect(first.status).toBe(302);
    expect(first.headers.location).toBe(`/p/${forward.id}/`);
    const session = sessionPair(first);
    expect((await get(`/p/${forward.id}/`, { cookie: session })).status).toBe(200);
    expect((await get(path)).status).toBe(401);
  });

  it('is not used up by a HEAD (link previews), and says so once it is used', async () => {
    const { url } = JSON.parse((await issue()).text) as { url: string };
    const path = url.replace('http://porthole.test', '');
    const head = await get(path, {}, 'HEAD');
    expect(head.status).toBe(302);
    expect(head.headers['set-cookie']).toBeUndefined();
    expect((await get(path)).status).toBe(302);
    const reused = await get(path, { accept: 'text/html' });
    expect(reused.status).toBe(401);
    expect(reused.text).toContain('used already or has expired');
  });

  it('only opens the forward it was issued for', async () => {
    const other = await porthole.forward(app.address);
    const { url } = JSON.parse((await issue()).text) as { url: string };
    const token = url.split('porthole_link=')[1];
    expect((await get(`/p/${other.id}/?porthole_link=${token}`)).status).toBe(401);
  });

  it.each([
    ['a body with fields', '{"ttl": 5}', 400],
    ['an empty object', '{}', 201],
  ])('answers %s with %s', async (_name, body, status) => {
    expect((await issue(forward, body)).status).toBe(status);
  });

  it('needs a bearer token, and 404s a forward of another container', async () => {
    const noAuth = await httpRequest({ port: porthole.port, path: `/api/containers/${forward.containerId}/port-forwards/${forward.id}/links`, method: 'POST' });
    expect(noAuth.status).toBe(401);
    const wrong = await httpRequest({
      port: porthole.port,
      path: `/api/containers/${BOB_CONTAINER}/port-forwards/${forward.id}/links`,
      method: 'POST',
      headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
    });
    expect(wrong.status).toBe(404);
  });
});

describe('cookie-authenticated WebSockets', () => {
  let wsApp: WsEcho;

  beforeEach(async () => {
    wsApp = await startWsEcho();
    forward = await porthole.forward(wsApp.address);
  });

  afterEach(async () => {
    await wsApp.close();
  });

  function open(headers: Record<string, string>): Promise<{ status: number; hello?: WsHello }> {
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(`${porthole.wsOrigin}/p/${forward.id}/socket?porthole_token=leak`, { headers });
      ws.once('unexpected-response', (_req, res) => {
        resolve({ status: res.statusCode ?? 0 });
        res.resume();
      });
      ws.once('message', (data: Buffer) => {
        resolve({ status: 101, hello: JSON.parse(data.toString()) as WsHello });
        ws.close();
      });
      ws.once('error', reject);
      setTimeout(() => reject(new Error('no answer')), WAIT_MS).unref();
    });
  }

  it('connects from the forward\'s own origin, without Porthole\'s cookie or any credential reaching the app', async () => {
    const session = await signIn();
    const opened = await open({ cookie: `${session}; app=1`, origin: porthole.origin });
    expect(opened.status).toBe(101);
    expect(opened.hello?.headers.cookie).toBe('app=1');
    expect(opened.hello?.url).toBe('/socket');
  });

  it.each([
    ['another site', 'https://evil.example'],
    ['an opaque origin', 'null'],
  ])('refuses an upgrade from %s with 403', async (_name, origin) => {
    const session = await signIn();
    expect((await open({ cookie: session, origin })).status).toBe(403);
  });

  it('does not check Origin when a bearer header authenticates (no ambient credential)', async () => {
    const opened = await open({ authorization: `Bearer ${ADMIN_TOKEN}`, origin: 'https://elsewhere.example' });
    expect(opened.status).toBe(101);
  });
});

describe('subdomain mode', () => {
  beforeEach(async () => {
    await porthole.close();
    porthole = await startTestPorthole({ browser: { previewDomain: 'preview.test' } });
    forward = await porthole.forward(app.address);
  });

  const host = () => `${forward.id.replace('pf_', 'pf-')}.preview.test`;

  it('gives proxy_url the subdomain form', async () => {
    const result = await get(`/api/containers/${forward.containerId}/port-forwards/${forward.id}`, { authorization: `Bearer ${ADMIN_TOKEN}` });
    expect(JSON.parse(result.text).proxy_url).toBe(`http://${host()}/`);
  });

  it('never redirects to another host after the exchange (`//evil` paths)', async () => {
    const exchange = await get(`//evil.example/x?porthole_token=${ADMIN_TOKEN}`, { host: host() });
    expect(exchange.status).toBe(302);
    expect(exchange.headers.location).toBe('/evil.example/x');
  });

  it('serves the app at the root of its own host, with a host-only cookie for the whole host', async () => {
    const exchange = await get(`/assets/app.js?porthole_token=${ADMIN_TOKEN}`, { host: host() });
    expect(exchange.status).toBe(302);
    expect(exchange.headers.location).toBe('/assets/app.js');
    expect(exchange.headers['set-cookie']?.[0]).toMatch(/; Path=\/; Max-Age=86400; HttpOnly; SameSite=Lax$/);
    const echo = JSON.parse((await get('/assets/app.js', { host: host(), cookie: sessionPair(exchange) })).text) as EchoReply;
    expect(echo.url).toBe('/assets/app.js');
    expect(echo.headers.host).toBe(host());
    expect(echo.headers['x-forwarded-prefix']).toBeUndefined();
    expect(echo.headers['x-forwarded-host']).toBe(host());
  });

  it('sends /api and /p on a preview host to the app, not to Porthole', async () => {
    const echo = JSON.parse((await get('/api/containers', { host: host(), authorization: `Bearer ${ADMIN_TOKEN}` })).text) as EchoReply;
    expect(echo.url).toBe('/api/containers');
  });

  it('keeps path mode working side by side', async () => {
    const result = await get(`/p/${forward.id}/x`, { authorization: `Bearer ${ADMIN_TOKEN}` });
    expect((JSON.parse(result.text) as EchoReply).url).toBe('/x');
  });

  it('answers 401 for an unknown forward host without a session, and 404 with a token', async () => {
    expect((await get('/', { host: 'pf-000000000000000000000000.preview.test' })).status).toBe(401);
    const result = await get('/', { host: 'pf-000000000000000000000000.preview.test', authorization: `Bearer ${ADMIN_TOKEN}` });
    expect(result.status).toBe(404);
  });
});
