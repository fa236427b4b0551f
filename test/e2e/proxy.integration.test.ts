import { randomBytes } from 'node:crypto';
import { connect } from 'node:net';
import { describeDocker, removeTestContainers, startFixtureContainer, type FixtureContainer } from '../support/docker';
import { openWebSocket, rawRequest, sha256 } from '../support/http';
import { E2E_TOKEN, startTestPorthole, type TestPorthole } from '../support/porthole';
import { TIMEOUTS, waitFor } from '../support/timeouts';

const auth = { authorization: `Bearer ${E2E_TOKEN}` };

describeDocker('HTTP proxy against a real container', () => {
  let porthole: TestPorthole;
  let app: FixtureContainer;
  let forwardId: string;
  let wsForwardPrefix: string;

  beforeAll(async () => {
    app = await startFixtureContainer({ websocket: true });
    porthole = await startTestPorthole();
    const created = await porthole.api('POST', `/api/containers/${app.id}/port-forwards`, { container_port: app.httpPort });
    forwardId = created.json.id;
    wsForwardPrefix = `${porthole.url.replace('http', 'ws')}/p/${forwardId}`;
  }, TIMEOUTS.engineHook);

  afterAll(async () => {
    await porthole?.close();
    await removeTestContainers();
  }, TIMEOUTS.engineHook);

  const echo = async (path: string, headers: Record<string, string> = auth) => {
    const response = await rawRequest(porthole.url, { path: `/p/${forwardId}${path}`, headers });
    return { status: response.status, seen: JSON.parse(response.body.toString()), raw: response.body.toString() };
  };

  it.each([
    ['the root', '/', '/'],
    ['encoded slashes, matrix params and a repeated query', '/a/b%2Fc;v=1?q=%20&q=2', '/a/b%2Fc;v=1?q=%20&q=2'],
    ['double slashes and dot-like segments', '//x/.%2e/y?', '//x/.%2e/y?'],
    ['unicode percent-escapes', '/%E2%9C%93?name=%C3%A9', '/%E2%9C%93?name=%C3%A9'],
  ])('passes %s through exactly', async (_description, sent, received) => {
    const { status, seen } = await echo(sent);
    expect(status).toBe(200);
    expect(seen.url).toBe(received);
  });

  it('passes headers, adds X-Forwarded-*, and never passes the admin token on', async () => {
    const { seen, raw } = await echo('/headers', { ...auth, 'x-custom': 'kept', cookie: 'app=1' });
    expect(seen.headers).toMatchObject({
      'x-custom': 'kept',
      cookie: 'app=1',
      'x-forwarded-for': '127.0.0.1',
      'x-forwarded-proto': 'http',
      'x-forwarded-host': new URL(porthole.url).host,
      'x-forwarded-prefix': `/p/${forwardId}`,
    });
    expect(seen.headers.authorization).toBeUndefined();
    expect(raw).not.toContain(E2E_TOKEN);
  });

  it('redirects /p/:id to /p/:id/ with 308, keeping the query', async () => {
    const response = await rawRequest(porthole.url, { path: `/p/${forwardId}?a=1&b=%20`, headers: auth });
    expect(response.status).toBe(308);
    expect(response.headers.location).toBe(`/p/${forwardId}/?a=1&b=%20`);
  });

  it('carries a 5 MB POST byte-identical', async () => {
    const body = randomBytes(5 * 1024 * 1024);
    const response = await rawRequest(porthole.url, { method: 'POST', path: `/p/${forwardId}/upload`, headers: auth, body });
    const seen = JSON.parse(response.body.toString());
    expect([seen.bodyLength, seen.bodySha256]).toEqual([body.length, sha256(body)]);
  }, TIMEOUTS.engineTest);

  it('streams a chunked response as it is produced, intact', async () => {
    const arrivals: number[] = [];
    const started = Date.now();
    const response = await fetch(`${porthole.url}/p/${forwardId}/stream?chunks=5&delay=200`, { headers: auth });
    let text = '';
    for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
      arrivals.push(Date.now() - started);
      text += Buffer.from(chunk).toString();
    }
    expect(text).toBe('chunk 0\nchunk 1\nchunk 2\nchunk 3\nchunk 4\n');
    expect(arrivals.length).toBeGreaterThanOrEqual(3);
    expect((arrivals.at(-1) as number) - (arrivals[0] as number)).toBeGreaterThanOrEqual(500);
  }, TIMEOUTS.engineTest);

  it('upgrades WebSockets: path and query reach the app, echo works, the app picks the subprotocol', async () => {
    const { ws, messages } = await openWebSocket(`${wsForwardPrefix}/chat?room=1`, { headers: auth, protocols: ['chat.v2', 'chat.v1'] });
    expect(ws.protocol).toBe('chat.v2');
    await waitFor('the hello message', () => (messages.length > 0 ? true : undefined), 2000);
    expect(JSON.parse((messages[0] as Buffer).toString()).url).toBe('/chat?room=1');
    expect(JSON.parse((messages[0] as Buffer).toString()).headers.authorization).toBeUndefined();
    ws.send('ping');
    await waitFor('the echo', () => (messages.length > 1 ? true : undefined), 2000);
    expect((messages[1] as Buffer).toString()).toBe('ping');
    ws.close();
  });

  it("passes the app's close code and reason through unchanged", async () => {
    const { closed } = await openWebSocket(`${wsForwardPrefix}/close-4404`, { headers: auth });
    expect(await closed).toEqual({ code: 4404, reason: 'not here' });
  });

  it('passes a close without a status code through as 1005', async () => {
    const { closed } = await openWebSocket(`${wsForwardPrefix}/close-no-status`, { headers: auth });
    expect((await closed).code).toBe(1005);
  });

  it.each([
    ['accepts it', '/deflate', 'permessage-deflate'],
    ['declines it', '/plain', ''],
  ])('lets the app pick the extensions: the client offers permessage-deflate, the app %s', async (_name, path, expected) => {
    const { ws, messages } = await openWebSocket(`${wsForwardPrefix}${path}`, { headers: auth });
    expect(ws.extensions).toEqual(expected === '' ? '' : expect.stringContaining(expected));
    await waitFor('the hello message', () => (messages.length > 0 ? true : undefined), 2000);
    const hello = JSON.parse((messages[0] as Buffer).toString());
    expect(hello.headers['sec-websocket-extensions']).toContain('permessage-deflate'); // the client's offer reached the app
    expect(hello.extensions).toEqual(expected === '' ? '' : expect.stringContaining(expected));
    ws.close();
  });

  it('passes Host and Origin to the app untouched on an upgrade, with X-Forwarded-Host and -Proto', async () => {
    const headers = { ...auth, host: 'app.example.test:8443', origin: 'https://app.example.test:8443' };
    const { ws, messages } = await openWebSocket(`${wsForwardPrefix}/who`, { headers });
    await waitFor('the hello message', () => (messages.length > 0 ? true : undefined), 2000);
    const seen = JSON.parse((messages[0] as Buffer).toString()).headers;
    expect(seen).toMatchObject({
      host: 'app.example.test:8443',
      origin: 'https://app.example.test:8443',
      'x-forwarded-host': 'app.example.test:8443',
      'x-forwarded-proto': 'http',
      'x-forwarded-prefix': `/p/${forwardId}`,
    });
    ws.close();
  });

  it.each(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS', 'PROPFIND'])(
    'takes %s to the app as it is (no blanket answers)',
    async (method) => {
      const response = await rawRequest(porthole.url, { method, path: `/p/${forwardId}/method`, headers: auth });
      expect(response.status).toBe(200);
      if (method === 'HEAD') expect(response.body.length).toBe(0);
      else expect(JSON.parse(response.body.toString()).method).toBe(method);
    },
  );

  it('passes a refused upgrade through as its HTTP status, and stays healthy', async () => {
    await expect(openWebSocket(`${wsForwardPrefix}/refuse`, { headers: auth })).rejects.toMatchObject({ status: 403 });
    expect((await porthole.api('GET', '/healthz', undefined, null)).status).toBe(200);
  });

  it('survives a client that resets in the middle of an upload', async () => {
    const socket = connect(Number(new URL(porthole.url).port), '127.0.0.1');
    await new Promise((resolve) => socket.once('connect', resolve));
    socket.write(
      `POST /p/${forwardId}/upload HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${E2E_TOKEN}\r\nContent-Length: 1000000\r\n\r\n`,
    );
    socket.write(randomBytes(100_000));
    await new Promise((resolve) => setTimeout(resolve, 100));
    socket.resetAndDestroy();
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect((await porthole.api('GET', '/healthz', undefined, null)).status).toBe(200);
    const { status } = await echo('/after-reset');
    expect(status).toBe(200);
  });

  it('answers 401 without a credential and 404 for an unknown forward', async () => {
    expect((await rawRequest(porthole.url, { path: `/p/${forwardId}/` })).status).toBe(401);
    const unknown = await rawRequest(porthole.url, { path: '/p/pf_aaaaaaaaaaaaaaaaaaaa/', headers: auth });
    expect([unknown.status, JSON.parse(unknown.body.toString()).error.code]).toEqual([404, 'forward_not_found']);
  });
});

describeDocker('HTTP proxy to an app that starts listening late', () => {
  let porthole: TestPorthole;
  let late: FixtureContainer;

  beforeAll(async () => {
    late = await startFixtureContainer({ command: ['sh', '-c', 'sleep 4; exec node /app/http-echo.js'], env: { PORT: '8080' } });
    porthole = await startTestPorthole();
  }, TIMEOUTS.engineHook);

  afterAll(async () => {
    await porthole?.close();
    await removeTestContainers();
  }, TIMEOUTS.engineHook);

  it('answers 502 within 1 s while nothing listens, then 200 on the same forward', async () => {
    const created = await porthole.api('POST', `/api/containers/${late.id}/port-forwards`, { container_port: 8080 });
    const path = `/p/${created.json.id}/ready`;
    const started = Date.now();
    const early = await rawRequest(porthole.url, { path, headers: auth });
    expect(Date.now() - started).toBeLessThan(1000);
    expect([early.status, JSON.parse(early.body.toString()).error.code]).toEqual([502, 'upstream_unreachable']);
    const later = await waitFor(
      'the app to listen',
      async () => {
        const response = await rawRequest(porthole.url, { path, headers: auth });
        return response.status === 200 ? response : undefined;
      },
      10_000,
      200,
    );
    expect(JSON.parse(later.body.toString()).url).toBe('/ready');
  }, TIMEOUTS.engineTest);
});
