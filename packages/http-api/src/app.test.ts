import { once } from 'node:events';
import { createServer as createNetServer, type AddressInfo } from 'node:net';
import { startHttpEcho, type HttpEcho } from './testing/fixtures';
import { rawConnection, readUntilClose } from './testing/http-client';
import { ADMIN, ADMIN_TOKEN, startTestPorthole, type TestPorthole } from './testing/porthole-test-server';
import { TEST_TIMEOUT_MS, WAIT_MS } from './testing/test-timeouts';

jest.setTimeout(TEST_TIMEOUT_MS);

let porthole: TestPorthole;
let app: HttpEcho;

beforeEach(async () => {
  porthole = await startTestPorthole({ limits: { proxyMaxBytes: 1024 } });
  app = await startHttpEcho();
});

afterEach(async () => {
  await porthole.close();
  await app.close();
});

/** Sends the head of a request with `Expect: 100-continue` and returns the first answer. */
async function expectContinue(path: string, contentLength: number, token = ADMIN_TOKEN, host = 'x'): Promise<string> {
  const socket = await rawConnection(porthole.port);
  const first = new Promise<string>((resolve) => socket.once('data', (chunk: Buffer) => resolve(chunk.toString())));
  socket.write(
    `POST ${path} HTTP/1.1\r\nHost: ${host}\r\nAuthorization: Bearer ${token}\r\n` +
      `Content-Type: application/json\r\nContent-Length: ${contentLength}\r\nExpect: 100-continue\r\n\r\n`,
  );
  const answer = await first;
  socket.destroy();
  return answer;
}

describe('Expect: 100-continue', () => {
  it.each([
    ['a proxied upload over the limit', 'proxy', 4096, /^HTTP\/1\.1 413 /],
    ['a proxied upload within the limit', 'proxy', 512, /^HTTP\/1\.1 100 Continue/],
    ['an API body over its limit', '/api/containers/x/port-forwards', 1024 * 1024, /^HTTP\/1\.1 413 /],
    ['an API body within its limit', '/api/containers/x/port-forwards', 20, /^HTTP\/1\.1 100 Continue/],
  ])('%s is answered %s', async (_description, path, length, answer) => {
    const forward = await porthole.forward(app.address);
    const target = path === 'proxy' ? `/p/${forward.id}/upload` : path;
    expect(await expectContinue(target, length)).toMatch(answer);
  });

  it.each([
    ['the proxy', 'proxy'],
    ['the API', '/api/containers/x/port-forwards'],
  ])('an unauthenticated upload to %s gets 401, not 100 Continue', async (_description, path) => {
    const forward = await porthole.forward(app.address);
    const target = path === 'proxy' ? `/p/${forward.id}/upload` : path;
    expect(await expectContinue(target, 10, 'wrong-token-0123456789')).toMatch(/^HTTP\/1\.1 401 /);
  });
});

// Regression: on a forward's own host the API's 64 KB limit decided, so an upload between
// the two limits got no "100 Continue" (curl waits a second, stricter clients until they
// time out) and one over the proxy's limit got "100 Continue" before its 413.
describe('Expect: 100-continue on a forward of its own host', () => {
  const MAX = 1024 * 1024;
  it.each([
    ['preview host, between the API and proxy limits', 'preview', 100_000, /^HTTP\/1\.1 100 Continue/],
    ['preview host, over the proxy limit', 'preview', 2 * MAX, /^HTTP\/1\.1 413 /],
    ['custom domain, between the API and proxy limits', 'custom', 100_000, /^HTTP\/1\.1 100 Continue/],
    ['custom domain, over the proxy limit', 'custom', 2 * MAX, /^HTTP\/1\.1 413 /],
  ])('%s', async (_description, kind, length, answer) => {
    await porthole.close();
    porthole = await startTestPorthole({ limits: { proxyMaxBytes: MAX }, browser: { previewDomain: 'preview.test' } });
    const forward = await porthole.forward(app.address);
    await porthole.forwards.updateForward(ADMIN, forward.containerId, forward.id, { customDomain: 'app.example.test' });
    const host = kind === 'custom' ? 'app.example.test' : `${forward.id.replace('pf_', 'pf-')}.preview.test`;
    expect(await expectContinue('/upload', length, ADMIN_TOKEN, host)).toMatch(answer);
  });
});

describe('access log', () => {
  it('logs one line per request with its request id, without the query', async () => {
    const forward = await porthole.forward(app.address);
    const socket = await rawConnection(porthole.port);
    const reply = readUntilClose(socket, WAIT_MS);
    socket.end(
      `GET /api/containers/${forward.containerId}/port-forwards?secret=x HTTP/1.1\r\nHost: x\r\n` +
        `Authorization: Bearer ${ADMIN_TOKEN}\r\nX-Request-Id: trace-42\r\nConnection: close\r\n\r\n`,
    );
    expect(await reply).toMatch(/x-request-id: trace-42/i);
    await new Promise((resolve) => setTimeout(resolve, 50));
    const line = porthole.logger.entries.find((entry) => entry.message === 'request');
    expect(line?.object).toMatchObject({ requestId: 'trace-42', method: 'GET', path: `/api/containers/${forward.containerId}/port-forwards`, status: 200 });
    expect(JSON.stringify(porthole.logger.entries)).not.toContain('secret=x');
  });
});

describe('an Upgrade other than websocket (curl --http2 sends Upgrade: h2c)', () => {
  async function send(head: string): Promise<string> {
    const socket = await rawConnection(porthole.port);
    const reply = readUntilClose(socket, WAIT_MS);
    socket.write(head);
    return reply;
  }
  const h2c = `Connection: Upgrade, HTTP2-Settings\r\nUpgrade: h2c\r\nHTTP2-Settings: AAMAAABkAAQCAAAAAAIAAAAA\r\nAuthorization: Bearer ${ADMIN_TOKEN}\r\n`;

  it('is served as plain HTTP/1.1 on the API', async () => {
    const forward = await porthole.forward(app.address);
    const reply = await send(`GET /api/containers/${forward.containerId}/port-forwards HTTP/1.1\r\nHost: x\r\n${h2c}\r\n`);
    expect(reply).toMatch(/^HTTP\/1\.1 200 /);
    expect(reply).toContain(forward.id);
  });

  it('is served as plain HTTP/1.1 through the proxy, without the upgrade', async () => {
    const forward = await porthole.forward(app.address);
    const reply = await send(`GET /p/${forward.id}/h2c?x=1 HTTP/1.1\r\nHost: x\r\n${h2c}\r\n`);
    expect(reply).toMatch(/^HTTP\/1\.1 200 /);
    const body = JSON.parse(reply.slice(reply.indexOf('\r\n\r\n') + 4).replace(/^[0-9a-f]+\r\n|\r\n0\r\n\r\n$/g, ''));
    expect(body.url).toBe('/h2c?x=1');
    expect(body.headers.upgrade).toBeUndefined();
  });

  it('is refused with 400 when it carries a body', async () => {
    const reply = await send(`POST /api/containers/x/port-forwards HTTP/1.1\r\nHost: x\r\n${h2c}Content-Length: 2\r\n\r\n{}`);
    expect(reply).toMatch(/^HTTP\/1\.1 400 /);
    expect(reply).toContain('"code":"invalid_request"');
  });
});

describe('requests Node cannot parse, and CONNECT', () => {
  async function send(bytes: string): Promise<string> {
    const socket = await rawConnection(porthole.port);
    const reply = readUntilClose(socket, WAIT_MS);
    socket.write(bytes);
    return reply;
  }

  it.each([
    ['headers over 16 KB', `GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`, 431, 'headers_too_large'],
    ['a garbage request line', 'HELLO THERE\r\n\r\n', 400, 'invalid_request'],
    ['both Content-Length and Transfer-Encoding', 'POST /p/x/ HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n', 400, 'invalid_request'],
    ['CONNECT', 'CONNECT 127.0.0.1:22 HTTP/1.1\r\nHost: 127.0.0.1:22\r\n\r\n', 405, 'method_not_supported'],
  ])('%s gets %d %s in the JSON shape, and the server keeps serving', async (_description, bytes, status, code) => {
    const reply = await send(bytes);
    expect(reply).toMatch(new RegExp(`^HTTP/1\\.1 ${status} `));
    expect(JSON.parse(reply.slice(reply.indexOf('\r\n\r\n') + 4)).error.code).toBe(code);
    expect(await send('GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n')).toMatch(/^HTTP\/1\.1 200 /);
  });
});

describe('which host a request is for (RFC 9112, 3.2)', () => {
  async function send(bytes: string): Promise<{ status: number; body: string }> {
    const socket = await rawConnection(porthole.port);
    const reply = readUntilClose(socket, WAIT_MS);
    socket.write(bytes);
    const text = await reply;
    return { status: Number(text.slice(9, 12)), body: text.slice(text.indexOf('\r\n\r\n') + 4) };
  }
  const auth = `Authorization: Bearer ${ADMIN_TOKEN}\r\nConnection: close\r\n`;
  const upgrade = 'Connection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n';

  beforeEach(async () => {
    const forward = await porthole.forward(app.address);
    await porthole.forwards.updateForward(ADMIN, forward.containerId, forward.id, { customDomain: 'app.example.test' });
  });

  it.each([
    ['Porthole\'s host first, then a custom domain', 'GET /healthz', 'Host: 127.0.0.1\r\nHost: app.example.test\r\n'],
    ['a custom domain first, then Porthole\'s host', 'GET /healthz', 'Host: app.example.test\r\nHost: 127.0.0.1\r\n'],
    ['the same host twice', 'GET /healthz', 'Host: app.example.test\r\nHost: app.example.test\r\n'],
  ])('several Host headers (%s) are refused with 400, not routed by one of them', async (_description, line, hosts) => {
    const answer = await send(`${line} HTTP/1.1\r\n${hosts}${auth}\r\n`);
    expect([answer.status, JSON.parse(answer.body).error.code]).toEqual([400, 'invalid_request']);
    expect(JSON.parse(answer.body).error.message).toMatch(/one Host header/);
    expect(app.requests()).toBe(0);
    const upgraded = await send(`GET /ws HTTP/1.1\r\n${hosts}${upgrade}${auth}\r\n`);
    expect(upgraded.status).toBe(400);
  });

  it.each([
    ['HTTP/1.1 without Host', 'GET /healthz HTTP/1.1\r\n', 400, /must carry a Host header/],
    ['an absolute-form target of another scheme', 'GET ftp://app.example.test/hi HTTP/1.1\r\nHost: app.example.test\r\n', 400, /must be an http or https URL, not ftp:/],
    ['an absolute-form target that is no URL', 'GET http://[::1/ HTTP/1.1\r\nHost: x\r\n', 400, /not a valid absolute URL/],
  ])('%s is refused in the JSON shape', async (_description, head, status, message) => {
    const answer = await send(`${head}${auth}\r\n`);
    expect([answer.status, JSON.parse(answer.body).error.code]).toEqual([status, 'invalid_request']);
    expect(JSON.parse(answer.body).error.message).toMatch(message);
    expect(app.requests()).toBe(0);
  });

  it('HTTP/1.0 without Host gets Porthole\'s own routes', async () => {
    const answer = await send('GET /healthz HTTP/1.0\r\n\r\n');
    expect([answer.status, JSON.parse(answer.body)]).toEqual([200, { status: 'ok' }]);
  });

  it('a request line in absolute form goes to the host it names, and the app sees the path', async () => {
    const answer = await send(`GET http://app.example.test/hi?x=1 HTTP/1.1\r\nHost: 127.0.0.1\r\n${auth}\r\n`);
    expect(answer.status).toBe(200);
    // The echo's JSON, in one chunk of a chunked body.
    expect(answer.body).toContain('"url":"/hi?x=1"');
    expect(answer.body).toContain('"host":"app.example.test"');
    const own = await send(`GET http://127.0.0.1/healthz HTTP/1.1\r\nHost: app.example.test\r\n${auth}\r\n`);
    expect([own.status, JSON.parse(own.body)]).toEqual([200, { status: 'ok' }]);
    expect(app.requests()).toBe(1);
  });
});

describe("the server's headers timeout", () => {
  it('answers 408 request_timeout in the JSON shape, then closes', async () => {
    // Node raises ERR_HTTP_REQUEST_TIMEOUT on the server's 'clientError' when a client's
    // headers do not all arrive within headersTimeout (20 s in the server process).
    const server = createNetServer((socket) => {
      const timeout = Object.assign(new Error('Request Timeout'), { code: 'ERR_HTTP_REQUEST_TIMEOUT' });
      porthole.http.handleClientError(timeout, socket);
    });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    try {
      const socket = await rawConnection((server.address() as AddressInfo).port);
      const reply = await readUntilClose(socket, WAIT_MS);
      expect(reply).toMatch(/^HTTP\/1\.1 408 /);
      expect(JSON.parse(reply.slice(reply.indexOf('\r\n\r\n') + 4)).error.code).toBe('request_timeout');
    } finally {
      server.close();
    }
  });
});

describe('errors Express raises itself', () => {
  it.each([
    ['a tunnel URL it cannot decode', '/ws/port-forward/%zz'],
    ['a health path with malformed escapes', '/healthz%'],
  ])('%s gets the JSON shape, never a stack trace', async (_description, path) => {
    const socket = await rawConnection(porthole.port);
    const reply = readUntilClose(socket, WAIT_MS);
    socket.end(`GET ${path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`);
    const text = await reply;
    expect(text).toMatch(/^HTTP\/1\.1 4\d\d /);
    expect(text).toMatch(/content-type: application\/json/i);
    expect(text).not.toMatch(/node_modules|at /);
  });
});
