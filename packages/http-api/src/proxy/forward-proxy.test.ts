import { createHash, randomBytes } from 'node:crypto';
import { request } from 'node:http';
import type { PortForward } from '@porthole/core';
import { startHttpEcho, nextEvent, unusedPort, waitUntil, STREAM_INTERVAL_MS, type EchoReply, type HttpEcho } from '../testing/fixtures';
import { httpRequest, rawConnection, readUntilClose } from '../testing/http-client';
import { ADMIN_TOKEN, ALICE_TOKEN, BOB_CONTAINER, startTestPorthole, type TestPorthole } from '../testing/porthole-test-server';
import { CLOSE_WITHIN_MS, FAIL_FAST_MS, QUIET_MS, TEST_TIMEOUT_MS, WAIT_MS } from '../testing/test-timeouts';

jest.setTimeout(TEST_TIMEOUT_MS);

const auth = { authorization: `Bearer ${ADMIN_TOKEN}` };

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
  // Nothing in these tests is an unexpected error: every failure is handled and answered.
  expect(porthole.logger.messages('error')).toEqual([]);
});

function get(path: string, headers: Record<string, string> = auth) {
  return httpRequest({ port: porthole.port, path, headers });
}

async function echoOf(path: string, headers: Record<string, string> = auth): Promise<EchoReply> {
  const result = await get(path, headers);
  expect(result.status).toBe(200);
  return JSON.parse(result.text) as EchoReply;
}

describe('ForwardProxy: the path and query reach the app exactly as sent', () => {
  it.each([
    ['an encoded slash, matrix params and a repeated query', '/a/b%2Fc;v=1?q=%20&q=2', '/a/b%2Fc;v=1?q=%20&q=2'],
    ['the root', '/', '/'],
    ['the root with a query', '/?x=1', '/?x=1'],
    ['double slashes (not merged)', '//a//b/', '//a//b/'],
    ['a URL inside the path (not rewritten)', '/go/http://example.com//x', '/go/http://example.com//x'],
    ['dot segments (not resolved)', '/a/../b/./c', '/a/../b/./c'],
    ['encoded UTF-8 (not decoded)', '/caf%C3%A9?name=%E2%9C%93', '/caf%C3%A9?name=%E2%9C%93'],
    ['a second question mark in the query', '/s?q=a?b&r=%3F', '/s?q=a?b&r=%3F'],
    ['an empty query', '/x?', '/x?'],
    ['a plus and an encoded plus', '/p+q?a=1+2&b=%2B', '/p+q?a=1+2&b=%2B'],
  ])('%s: %s', async (_description, sent, seen) => {
    expect((await echoOf(`/p/${forward.id}${sent}`)).url).toBe(seen);
  });

  it.each([
    ['no path, a query', '?x=1&y=%20', '/?x=1&y=%20'],
    ['no path, no query', '', '/'],
  ])('redirects a URL with %s to the slash form with 308, keeping the query', async (_description, rest, location) => {
    const result = await get(`/p/${forward.id}${rest}`);
    expect(result.status).toBe(308);
    expect(result.headers.location).toBe(`/p/${forward.id}${location}`);
    expect(app.requests()).toBe(0);
  });

  it('keeps the method and the other headers, and the Host the client sent', async () => {
    const result = await httpRequest({
      port: porthole.port,
      path: `/p/${forward.id}/things`,
      method: 'PATCH',
      headers: { ...auth, host: 'app.example.com:8443', 'x-custom': 'kept as is', cookie: 'a=1; b=2' },
      body: 'x',
    });
    const reply = JSON.parse(result.text) as EchoReply;
    expect(reply.method).toBe('PATCH');
    expect(reply.headers).toMatchObject({ host: 'app.example.com:8443', 'x-custom': 'kept as is', cookie: 'a=1; b=2' });
  });

  it.each(['GET', 'DELETE', 'OPTIONS'])('sends a bodiless %s on without inventing a Content-Length or chunking', async (method) => {
    const result = await httpRequest({ port: porthole.port, path: `/p/${forward.id}/x`, method, headers: auth });
    const reply = JSON.parse(result.text) as EchoReply;
    expect(reply.method).toBe(method);
    expect(reply.headers['content-length']).toBeUndefined();
    expect(reply.headers['transfer-encoding']).toBeUndefined();
  });
});

describe('ForwardProxy: headers', () => {
  it("never passes Porthole's Authorization on", async () => {
    const reply = await echoOf(`/p/${forward.id}/`);
    expect(reply.headers.authorization).toBeUndefined();
    expect(JSON.stringify(reply)).not.toContain(ADMIN_TOKEN);
  });

  it('adds X-Forwarded-For/Proto/Host/Prefix, appending to an existing For chain', async () => {
    const reply = await echoOf(`/p/${forward.id}/`, { ...auth, host: 'porthole.example.com', 'x-forwarded-for': '203.0.113.7' });
    expect(reply.headers).toMatchObject({
      'x-forwarded-for': '203.0.113.7, 127.0.0.1',
      'x-forwarded-proto': 'http',
      'x-forwarded-host': 'porthole.example.com',
      'x-forwarded-prefix': `/p/${forward.id}`,
    });
  });

  it('replaces a forged X-Forwarded-Proto/Host/Prefix from the client', async () => {
    const reply = await echoOf(`/p/${forward.id}/`, {
      ...auth,
      host: 'real.example.com',
      'x-forwarded-proto': 'https',
      'x-forwarded-host': 'forged.example.com',
      'x-forwarded-prefix': '/elsewhere',
    });
    expect(reply.headers).toMatchObject({
      'x-forwarded-for': '127.0.0.1',
      'x-forwarded-proto': 'http',
      'x-forwarded-host': 'real.example.com',
      'x-forwarded-prefix': `/p/${forward.id}`,
    });
  });
});

describe('ForwardProxy: who may use a forward', () => {
  it.each([
    ['no credential', {}, () => `/p/${forward.id}/`, 401, 'unauthenticated'],
    ['a wrong token', { authorization: 'Bearer wrong-token-000000' }, () => `/p/${forward.id}/`, 401, 'unauthenticated'],
    ['an unknown forward', auth, () => '/p/pf_00000000000000000000/', 404, 'forward_not_found'],
    ['a malformed forward id', auth, () => '/p/nope/', 404, 'forward_not_found'],
    ['an empty forward id', auth, () => '/p//x', 404, 'forward_not_found'],
  ])('refuses %s with the JSON error shape', async (_description, headers, path, status, code) => {
    const result = await get(path(), headers);
    expect(result.status).toBe(status);
    expect(result.headers['content-type']).toMatch(/^application\/json/);
    expect(JSON.parse(result.text)).toEqual({ error: { code, message: expect.any(String) } });
    expect(app.requests()).toBe(0);
  });

  it("answers 404 for a forward the caller may not see (Alice, Bob's container)", async () => {
    const bobs = await porthole.forward(app.address, BOB_CONTAINER);
    const result = await get(`/p/${bobs.id}/`, { authorization: `Bearer ${ALICE_TOKEN}` });
    expect(result.status).toBe(404);
    expect(JSON.parse(result.text).error.code).toBe('forward_not_found');
    expect((await get(`/p/${forward.id}/`, { authorization: `Bearer ${ALICE_TOKEN}` })).status).toBe(200);
  });

  it('refuses before reading a body, and closes the connection rather than read it afterwards', async () => {
    const socket = await rawConnection(porthole.port);
    const reply = readUntilClose(socket, WAIT_MS);
    socket.write(`POST /p/${forward.id}/upload HTTP/1.1\r\nHost: x\r\nContent-Length: 1048576\r\n\r\nfirst bytes`);
    const started = Date.now();
    const text = await reply;
    expect(Date.now() - started).toBeLessThan(FAIL_FAST_MS);
    expect(text).toMatch(/^HTTP\/1\.1 401 [\s\S]*"code":"unauthenticated"/);
    expect(text.toLowerCase()).toContain('connection: close');
    expect(app.requests()).toBe(0);
  });

  it('gives browsers a small HTML page with the same status', async () => {
    const result = await get('/p/pf_00000000000000000000/', { ...auth, accept: 'text/html,application/xhtml+xml' });
    expect(result.status).toBe(404);
    expect(result.headers['content-type']).toMatch(/^text\/html/);
    expect(result.text).toContain('forward_not_found');
  });
});

describe('ForwardProxy: bodies stream', () => {
  it('passes a 5 MB POST byte-identical', async () => {
    const body = randomBytes(5 * 1024 * 1024);
    const result = await httpRequest({
      port: porthole.port,
      path: `/p/${forward.id}/upload`,
      method: 'POST',
      headers: { ...auth, 'content-type': 'application/octet-stream' },
      body,
    });
    const reply = JSON.parse(result.text) as EchoReply;
    expect(reply.bodyLength).toBe(body.length);
    expect(reply.bodySha256).toBe(createHash('sha256').update(body).digest('hex'));
  });

  it('passes a chunked upload of unknown length byte-identical', async () => {
    const parts = [randomBytes(100_000), randomBytes(1), randomBytes(300_000)];
    const reply = await new Promise<EchoReply>((resolve, reject) => {
      const req = request(
        { host: '127.0.0.1', port: porthole.port, path: `/p/${forward.id}/chunked`, method: 'PUT', headers: auth, agent: false },
        (res) => {
          let text = '';
          res.setEncoding('utf8').on('data', (chunk: string) => (text += chunk)).on('end', () => resolve(JSON.parse(text) as EchoReply));
        },
      );
      req.on('error', reject);
      for (const part of parts) req.write(part);
      req.end();
    });
    const all = Buffer.concat(parts);
    expect(reply).toMatchObject({ method: 'PUT', bodyLength: all.length, bodySha256: createHash('sha256').update(all).digest('hex') });
  });

  it('delivers a streamed response chunk by chunk, as the app writes it', async () => {
    const arrivals = await new Promise<{ at: number; text: string }[]>((resolve, reject) => {
      const seen: { at: number; text: string }[] = [];
      const req = request(
        { host: '127.0.0.1', port: porthole.port, path: `/p/${forward.id}/stream?n=5`, headers: auth, agent: false },
        (res) => {
          res.setEncoding('utf8');
          res.on('data', (text: string) => seen.push({ at: Date.now(), text }));
          res.on('end', () => resolve(seen));
        },
      );
      req.on('error', reject);
      req.end();
    });
    expect(arrivals.map((a) => a.text).join('')).toBe('chunk 0\nchunk 1\nchunk 2\nchunk 3\nchunk 4\n');
    // Buffered, the whole body would arrive at once at the end.
    expect(arrivals.length).toBeGreaterThanOrEqual(4);
    const first = arrivals[0]?.at ?? 0;
    const last = arrivals[arrivals.length - 1]?.at ?? 0;
    expect(last - first).toBeGreaterThanOrEqual(3 * STREAM_INTERVAL_MS - 50);
  });

  it('handles a request with Expect: 100-continue like any other (http-proxy skips its proxyReq hook for those)', async () => {
    const body = randomBytes(2 * 1024 * 1024);
    const result = await httpRequest({
      port: porthole.port,
      path: `/p/${forward.id}//upload//raw?x=%2F`,
      method: 'POST',
      headers: { ...auth, expect: '100-continue', 'content-length': String(body.length) },
      body,
    });
    const reply = JSON.parse(result.text) as EchoReply;
    expect(reply).toMatchObject({ url: '//upload//raw?x=%2F', bodyLength: body.length, bodySha256: createHash('sha256').update(body).digest('hex') });
    expect(reply.headers.authorization).toBeUndefined();
  });

  it('answers 413 from Content-Length alone, at once, with Connection: close, without reading the body', async () => {
    await porthole.close();
    porthole = await startTestPorthole({ limits: { proxyMaxBytes: 1024 } });
    forward = await porthole.forward(app.address);
    const socket = await rawConnection(porthole.port);
    const reply = readUntilClose(socket, WAIT_MS);
    // The declared body never comes: an answer that waited for it would time out.
    socket.write(
      `POST /p/${forward.id}/upload HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${ADMIN_TOKEN}\r\n` +
        'Content-Type: application/octet-stream\r\nContent-Length: 1048576\r\n\r\nfirst bytes',
    );
    const started = Date.now();
    const text = await reply;
    expect(Date.now() - started).toBeLessThan(FAIL_FAST_MS);
    expect(text).toMatch(/^HTTP\/1\.1 413 /);
    expect(text.toLowerCase()).toContain('connection: close');
    expect(text).toContain('"code":"payload_too_large"');
    expect(app.requests()).toBe(0);

    const small = await httpRequest({ port: porthole.port, path: `/p/${forward.id}/`, method: 'POST', headers: auth, body: Buffer.alloc(1024) });
    expect(JSON.parse(small.text).bodyLength).toBe(1024);
  });
});

describe('ForwardProxy: upstream failures', () => {
  it('answers 502 within a second when nothing listens, and 200 once the app listens (same forward)', async () => {
    const port = await unusedPort();
    const later = await porthole.forward({ host: '127.0.0.1', port });
    const started = Date.now();
    const refused = await get(`/p/${later.id}/`);
    expect(Date.now() - started).toBeLessThan(FAIL_FAST_MS);
    expect(refused.status).toBe(502);
    expect(JSON.parse(refused.text).error.code).toBe('upstream_unreachable');

    const lateApp = await startHttpEcho(port);
    try {
      expect((await get(`/p/${later.id}/now`)).status).toBe(200);
    } finally {
      await lateApp.close();
    }
  });

  it('answers 503 when the container runtime cannot be reached', async () => {
    porthole.runtime.setUnavailable(true);
    const result = await get(`/p/${forward.id}/`);
    expect(result.status).toBe(503);
    expect(JSON.parse(result.text).error.code).toBe('runtime_unavailable');
  });

  it('answers 404 when the container turns out to be gone, and forgets the forward', async () => {
    porthole.runtime.stopSilently(forward.containerId);
    expect((await get(`/p/${forward.id}/`)).status).toBe(404);
    expect((await porthole.forwards.listForwards({ id: 'admin', role: 'admin' }, forward.containerId)).length).toBe(0);
  });

  it('cuts the client response when the app dies mid-body, and keeps serving', async () => {
    await expect(get(`/p/${forward.id}/drop`)).rejects.toThrow(/aborted|socket hang up|ECONNRESET/);
    expect((await get(`/p/${forward.id}/after`)).status).toBe(200);
  });
});

describe('ForwardProxy: clients that go away', () => {
  it('aborts the request to the app when the client leaves while the app is thinking', async () => {
    const aborted = nextEvent<string>(app.events, 'aborted', WAIT_MS);
    const req = request({ host: '127.0.0.1', port: porthole.port, path: `/p/${forward.id}/slow`, headers: auth, agent: false });
    req.on('error', () => undefined);
    req.end();
    await nextEvent(app.events, 'request', WAIT_MS);
    const left = Date.now();
    req.destroy();
    expect(await aborted).toBe('/slow');
    expect(Date.now() - left).toBeLessThan(CLOSE_WITHIN_MS);
    await waitUntil(() => porthole.http.connections.count(forward.id) <= 1, WAIT_MS, 'the request to be untracked');
  });

  it('survives a client that resets mid-upload, and keeps serving', async () => {
    const socket = await rawConnection(porthole.port);
    socket.on('error', () => undefined);
    socket.write(
      `POST /p/${forward.id}/upload HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${ADMIN_TOKEN}\r\nContent-Length: 1000000\r\n\r\n`,
    );
    socket.write(randomBytes(64 * 1024));
    await nextEvent(app.events, 'request', WAIT_MS);
    const aborted = nextEvent<string>(app.events, 'aborted', WAIT_MS);
    socket.resetAndDestroy();
    expect(await aborted).toBe('/upload');
    expect((await get(`/p/${forward.id}/after`)).status).toBe(200);
  });
});

describe('ForwardProxy: pooling and tracking', () => {
  it('reuses upstream connections: one dial for many requests, even from clients that send Connection: close', async () => {
    // Each request comes on its own client connection with `Connection: close`.
    for (let i = 0; i < 5; i += 1) expect((await get(`/p/${forward.id}/${i}`)).status).toBe(200);
    expect(porthole.runtime.calls.dial).toBe(1);
    expect(app.openConnections()).toBe(1);
  });

  it('tracks an in-flight request and untracks it when it ends', async () => {
    const slow = request({ host: '127.0.0.1', port: porthole.port, path: `/p/${forward.id}/slow`, headers: auth, agent: false });
    slow.on('error', () => undefined);
    slow.end();
    await nextEvent(app.events, 'request', WAIT_MS);
    // One for the request, one for the forward's pool of upstream connections.
    expect(porthole.http.connections.count(forward.id)).toBe(2);
    slow.destroy();
    // The aborted request's upstream socket is gone too, so the idle pool goes with it.
    await waitUntil(() => porthole.http.connections.count(forward.id) === 0, WAIT_MS, 'the request to be untracked');
  });

  it('closes the pooled upstream connections when the forward is removed', async () => {
    expect((await get(`/p/${forward.id}/`)).status).toBe(200);
    expect(app.openConnections()).toBe(1);
    await porthole.remove(forward);
    await waitUntil(() => app.openConnections() === 0, CLOSE_WITHIN_MS, 'the pooled connection to close');
    expect(porthole.http.connections.count(forward.id)).toBe(0);
    expect((await get(`/p/${forward.id}/`)).status).toBe(404);
  });

  it('answers an in-flight request 404 within a second when its forward is removed, and aborts it at the app', async () => {
    const aborted = nextEvent<string>(app.events, 'aborted', WAIT_MS);
    const pending = get(`/p/${forward.id}/slow`);
    await nextEvent(app.events, 'request', WAIT_MS);
    const removed = Date.now();
    await porthole.remove(forward);
    const result = await pending;
    expect(Date.now() - removed).toBeLessThan(CLOSE_WITHIN_MS);
    expect(result.status).toBe(404);
    expect(JSON.parse(result.text).error.code).toBe('forward_not_found');
    expect(await aborted).toBe('/slow');
  });

  it('cuts a response under way within a second when the container stops', async () => {
    const pending = get(`/p/${forward.id}/stream?n=1000`);
    await nextEvent(app.events, 'request', WAIT_MS);
    await new Promise((resolve) => setTimeout(resolve, QUIET_MS));
    const stopped = Date.now();
    porthole.runtime.stop(forward.containerId);
    await expect(pending).rejects.toThrow(/aborted|socket hang up|ECONNRESET/);
    expect(Date.now() - stopped).toBeLessThan(CLOSE_WITHIN_MS);
    expect(porthole.http.connections.count()).toBe(0);
  });
});
