import type { IncomingMessage } from 'node:http';
import WebSocket from 'ws';
import type { PortForward } from '@porthole/core';
import { nextEvent, startHttpEcho, startWsEcho, unusedPort, waitUntil, type EchoReply, type WsEcho, type WsHello } from '../testing/fixtures';
import { httpRequest, rawConnection, readUntilClose } from '../testing/http-client';
import { ADMIN_TOKEN, startTestPorthole, type TestPorthole } from '../testing/porthole-test-server';
import { CLOSE_WITHIN_MS, FAIL_FAST_MS, TEST_TIMEOUT_MS, WAIT_MS } from '../testing/test-timeouts';

jest.setTimeout(TEST_TIMEOUT_MS);

const auth = { authorization: `Bearer ${ADMIN_TOKEN}` };

let porthole: TestPorthole;
let app: WsEcho;
let forward: PortForward;
const clients: WebSocket[] = [];

beforeEach(async () => {
  porthole = await startTestPorthole();
  app = await startWsEcho();
  forward = await porthole.forward(app.address);
});

afterEach(async () => {
  for (const client of clients.splice(0)) client.terminate();
  await porthole.close();
  await app.close();
  expect(porthole.logger.messages('error')).toEqual([]);
});

interface Opened {
  readonly ws: WebSocket;
  readonly hello: WsHello;
  /** Every later message, in order. */
  readonly messages: { data: Buffer; isBinary: boolean }[];
}

/**
 * Opens a WebSocket through Porthole. The message listener is attached at creation: the
 * app's first frame can arrive together with the handshake answer.
 */
function open(path: string, protocols: string[] = [], options: WebSocket.ClientOptions = { headers: auth }): Promise<Opened> {
  const ws = new WebSocket(`${porthole.wsOrigin}${path}`, protocols, options);
  clients.push(ws);
  const messages: { data: Buffer; isBinary: boolean }[] = [];
  return new Promise((resolve, reject) => {
    let hello: WsHello | undefined;
    ws.on('message', (data: Buffer, isBinary) => {
      if (hello === undefined) {
        hello = JSON.parse(data.toString('utf8')) as WsHello;
        resolve({ ws, hello, messages });
      } else {
        messages.push({ data, isBinary });
      }
    });
    ws.on('error', reject);
  });
}

/** The status and body of an upgrade that was answered with plain HTTP. */
function refusal(path: string, headers: Record<string, string> = auth): Promise<{ status: number; body: string }> {
  const ws = new WebSocket(`${porthole.wsOrigin}${path}`, { headers });
  clients.push(ws);
  return new Promise((resolve, reject) => {
    ws.on('unexpected-response', (_req, res: IncomingMessage) => {
      let body = '';
      res.setEncoding('utf8').on('data', (chunk: string) => (body += chunk)).on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    ws.on('open', () => reject(new Error('the upgrade was accepted')));
    ws.on('error', () => undefined);
  });
}

function closeOf(ws: WebSocket): Promise<{ code: number; reason: string }> {
  return new Promise((resolve) => ws.once('close', (code, reason) => resolve({ code, reason: reason.toString('utf8') })));
}

describe('ForwardProxy: WebSocket upgrades', () => {
  it.each([
    ['a path and query', '/chat/room%2F1;x=1?token=abc&t=%20', '/chat/room%2F1;x=1?token=abc&t=%20'],
    ['double slashes', '//a//b', '//a//b'],
    ['the root', '/', '/'],
    ['no slash after the id (no redirect for upgrades)', '?x=1', '/?x=1'],
  ])('strips the prefix and keeps %s as sent', async (_description, sent, seen) => {
    const { hello } = await open(`/p/${forward.id}${sent}`);
    expect(hello.url).toBe(seen);
  });

  it('passes the same headers as a plain request: no Authorization, the same X-Forwarded-* set', async () => {
    const { hello } = await open(`/p/${forward.id}/ws`, [], { headers: { ...auth, 'x-forwarded-for': '198.51.100.1', 'x-custom': 'kept' } });
    const plainApp = await startHttpEcho();
    try {
      const plain = await porthole.forward(plainApp.address);
      const reply = JSON.parse(
        (await httpRequest({ port: porthole.port, path: `/p/${plain.id}/`, headers: { ...auth, host: hello.headers.host ?? '', 'x-forwarded-for': '198.51.100.1' } })).text,
      ) as EchoReply;
      const forwarded = (headers: Record<string, unknown>, id: string) => ({
        for: headers['x-forwarded-for'],
        proto: headers['x-forwarded-proto'],
        host: headers['x-forwarded-host'],
        prefix: (headers['x-forwarded-prefix'] as string).replace(id, 'ID'),
      });
      expect(forwarded(hello.headers, forward.id)).toEqual(forwarded(reply.headers, plain.id));
      expect(forwarded(hello.headers, forward.id)).toEqual({
        for: '198.51.100.1, 127.0.0.1',
        proto: 'http',
        host: `127.0.0.1:${porthole.port}`,
        prefix: '/p/ID',
      });
    } finally {
      await plainApp.close();
    }
    expect(hello.headers.authorization).toBeUndefined();
    expect(JSON.stringify(hello)).not.toContain(ADMIN_TOKEN);
    expect(hello.headers['x-custom']).toBe('kept');
  });

  it('echoes binary and text frames both ways', async () => {
    const { ws, messages } = await open(`/p/${forward.id}/echo`);
    const bytes = Buffer.from([0, 1, 2, 254, 255]);
    ws.send(bytes);
    ws.send('héllo');
    await waitUntil(() => messages.length === 2, WAIT_MS, 'two echoes');
    expect(messages[0]).toEqual({ data: bytes, isBinary: true });
    expect(messages[1]?.isBinary).toBe(false);
    expect(messages[1]?.data.toString('utf8')).toBe('héllo');
  });

  it('lets the app negotiate the subprotocol and extensions', async () => {
    const { ws, hello } = await open(`/p/${forward.id}/`, ['chat.v1', 'chat.v2']);
    expect(ws.protocol).toBe('chat.v2');
    expect(hello.protocol).toBe('chat.v2');
    expect(ws.extensions).toContain('permessage-deflate');
    expect(hello.extensions).toContain('permessage-deflate');
  });

  it("passes the app's close code and reason to the client unchanged", async () => {
    const ws = new WebSocket(`${porthole.wsOrigin}/p/${forward.id}/close-4404`, { headers: auth });
    clients.push(ws);
    expect(await closeOf(ws)).toEqual({ code: 4404, reason: 'no such room' });
  });

  it('passes an upgrade the app refuses as its HTTP status, and keeps serving', async () => {
    const refused = await refusal(`/p/${forward.id}/refuse`);
    expect(refused).toEqual({ status: 403, body: 'forbidden' });
    const { hello } = await open(`/p/${forward.id}/after`);
    expect(hello.url).toBe('/after');
  });

  it.each([
    ['no credential', () => `/p/${forward.id}/`, {}, 401, 'unauthenticated'],
    ['a wrong token', () => `/p/${forward.id}/`, { authorization: 'Bearer nope-0000000000' }, 401, 'unauthenticated'],
    ['an unknown forward', () => '/p/pf_00000000000000000000/', auth, 404, 'forward_not_found'],
  ])('refuses %s before any upgrade, with the JSON error shape', async (_description, path, headers, status, code) => {
    const refused = await refusal(path(), headers);
    expect(refused.status).toBe(status);
    expect(JSON.parse(refused.body).error.code).toBe(code);
    expect(app.openConnections()).toBe(0);
  });

  it('does not take the token from subprotocols on the proxy path', async () => {
    const ws = new WebSocket(`${porthole.wsOrigin}/p/${forward.id}/`, ['Bearer', ADMIN_TOKEN]);
    clients.push(ws);
    const status = await new Promise<number>((resolve) => {
      ws.on('unexpected-response', (_req, res: IncomingMessage) => resolve(res.statusCode ?? 0));
      ws.on('error', () => undefined);
    });
    expect(status).toBe(401);
  });

  it("incident 6: removes 'Bearer' and the token after it from Sec-WebSocket-Protocol; the app negotiates among the rest", async () => {
    const { ws, hello } = await open(`/p/${forward.id}/`, ['chat.v1', 'Bearer', ADMIN_TOKEN, 'chat.v2']);
    expect(hello.headers['sec-websocket-protocol']).toBe('chat.v1, chat.v2');
    expect(ws.protocol).toBe('chat.v2');
    expect(JSON.stringify(hello)).not.toContain(ADMIN_TOKEN);
  });

  it("incident 6: with only 'Bearer, <token>' offered, the app gets no Sec-WebSocket-Protocol at all", async () => {
    const socket = await rawConnection(porthole.port);
    const hello = new Promise<WsHello>((resolve, reject) => {
      let buffered = Buffer.alloc(0);
      socket.once('close', () => reject(new Error(`closed after ${JSON.stringify(buffered.toString('latin1'))}`)));
      socket.on('data', (chunk: Buffer) => {
        buffered = Buffer.concat([buffered, chunk]);
        const start = buffered.indexOf('\r\n\r\n') + 4;
        // The app's first frame: unmasked text, with a 16-bit length (a hello is > 125 bytes).
        if (start < 4 || buffered.length < start + 4) return;
        const length = buffered.readUInt16BE(start + 2);
        if (buffered.length >= start + 4 + length) resolve(JSON.parse(buffered.subarray(start + 4, start + 4 + length).toString('utf8')) as WsHello);
      });
    });
    socket.write(
      `GET /p/${forward.id}/ws HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${ADMIN_TOKEN}\r\nConnection: Upgrade\r\n` +
        `Upgrade: websocket\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n` +
        `Sec-WebSocket-Protocol: Bearer, ${ADMIN_TOKEN}\r\n\r\n`,
    );
    const seen = await hello.finally(() => socket.destroy());
    expect(seen.url).toBe('/ws');
    expect(seen.headers['sec-websocket-protocol']).toBeUndefined();
    expect(JSON.stringify(seen)).not.toContain(ADMIN_TOKEN);
  });

  it('incident 7: answers a POST with Upgrade: websocket 400 invalid_request in the JSON shape, and keeps serving', async () => {
    const socket = await rawConnection(porthole.port);
    const answer = readUntilClose(socket, WAIT_MS);
    socket.write(
      `POST /p/${forward.id}/ws HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${ADMIN_TOKEN}\r\nConnection: Upgrade\r\n` +
        'Upgrade: websocket\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nContent-Length: 0\r\n\r\n',
    );
    const text = await answer;
    const [statusHead = '', body = ''] = text.split('\r\n\r\n');
    expect(statusHead.split('\r\n')[0]).toBe('HTTP/1.1 400 Bad Request');
    expect(statusHead.toLowerCase()).toContain('\r\nconnection: close');
    expect(statusHead.toLowerCase()).toContain('\r\ncontent-type: application/json; charset=utf-8');
    expect(JSON.parse(body)).toEqual({ error: { code: 'invalid_request', message: 'A WebSocket handshake must be a GET request, not POST.' } });
    expect(app.openConnections()).toBe(0);
    const { hello } = await open(`/p/${forward.id}/after`);
    expect(hello.url).toBe('/after');
  });

  it('answers 502 within a second when nothing listens, on the raw socket', async () => {
    const nothing = await porthole.forward({ host: '127.0.0.1', port: await unusedPort() });
    const started = Date.now();
    const refused = await refusal(`/p/${nothing.id}/`);
    expect(Date.now() - started).toBeLessThan(FAIL_FAST_MS);
    expect(refused.status).toBe(502);
    expect(JSON.parse(refused.body).error.code).toBe('upstream_unreachable');
  });

  it('answers 503 when the runtime cannot be reached', async () => {
    porthole.runtime.setUnavailable(true);
    expect((await refusal(`/p/${forward.id}/`)).status).toBe(503);
  });

  it('closes a proxied WebSocket within a second when its forward is removed, on both sides', async () => {
    const { ws } = await open(`/p/${forward.id}/live`);
    expect(porthole.http.connections.count(forward.id)).toBeGreaterThanOrEqual(1);
    const appClosed = nextEvent(app.events, 'closed', WAIT_MS);
    const closed = closeOf(ws);
    const removed = Date.now();
    await porthole.remove(forward);
    await closed;
    expect(Date.now() - removed).toBeLessThan(CLOSE_WITHIN_MS);
    await appClosed;
    await waitUntil(() => app.openConnections() === 0, CLOSE_WITHIN_MS, 'the app side to close');
    expect(porthole.http.connections.count(forward.id)).toBe(0);
  });

  it('closes the app side when the client vanishes, and untracks the connection', async () => {
    const { ws } = await open(`/p/${forward.id}/live`);
    const appClosed = nextEvent(app.events, 'closed', WAIT_MS);
    ws.terminate();
    await appClosed;
    await waitUntil(() => app.openConnections() === 0, WAIT_MS, 'the app connection to close');
    await waitUntil(() => porthole.http.connections.count(forward.id) === 0, WAIT_MS, 'the connection to be untracked');
  });

  it('ignores a non-WebSocket upgrade to the proxy without crashing, and keeps serving', async () => {
    const socket = await rawConnection(porthole.port);
    const answer = readUntilClose(socket, WAIT_MS);
    socket.write(`GET /p/${forward.id}/ HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${ADMIN_TOKEN}\r\nConnection: Upgrade\r\nUpgrade: h2c\r\n\r\n`);
    await answer;
    const { hello } = await open(`/p/${forward.id}/after`);
    expect(hello.url).toBe('/after');
  });
});
