import { randomBytes } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { Socket } from 'node:net';
import WebSocket from 'ws';
import type { PortForward } from '@porthole/core';
import { nextEvent, startTcpServer, unusedPort, waitUntil, type TcpFixture } from '../testing/fixtures';
import { httpRequest, rawConnection, readUntilClose } from '../testing/http-client';
import { ADMIN_TOKEN, ALICE_TOKEN, BOB_CONTAINER, startTestPorthole, type TestPorthole } from '../testing/porthole-test-server';
import { CLOSE_WITHIN_MS, FAIL_FAST_MS, TEST_TIMEOUT_MS, WAIT_MS } from '../testing/test-timeouts';
import { MAX_MESSAGE_BYTES, parseTunnelUrl, selectSubprotocol } from './tunnel-server';

jest.setTimeout(TEST_TIMEOUT_MS);

let porthole: TestPorthole;
let app: TcpFixture;
let forward: PortForward;
const clients: WebSocket[] = [];

beforeEach(async () => {
  porthole = await startTestPorthole();
  app = await startTcpServer();
  forward = await porthole.forward(app.address);
});

afterEach(async () => {
  for (const client of clients.splice(0)) client.terminate();
  await porthole.close();
  await app.close();
  expect(porthole.logger.messages('error')).toEqual([]);
});

interface Tunnel {
  readonly ws: WebSocket;
  /** Everything received so far, concatenated. */
  received(): Buffer;
  /** The `Sec-WebSocket-Protocol` the server answered with. */
  readonly selected: string | undefined;
}

const tunnelUrl = (id: string) => `${porthole.wsOrigin}/ws/port-forward/${id}`;

function openTunnel(id: string, protocols: string[] = ['Bearer', ADMIN_TOKEN], options: WebSocket.ClientOptions = {}): Promise<Tunnel> {
  const ws = new WebSocket(tunnelUrl(id), protocols, options);
  clients.push(ws);
  const chunks: Buffer[] = [];
  // Listening from the start: data can come with the handshake answer.
  ws.on('message', (data: Buffer) => chunks.push(data));
  let selected: string | undefined;
  ws.on('upgrade', (res: IncomingMessage) => {
    selected = res.headers['sec-websocket-protocol'] as string | undefined;
  });
  return new Promise((resolve, reject) => {
    ws.once('open', () => resolve({ ws, received: () => Buffer.concat(chunks), get selected() { return selected; } }));
    ws.once('error', reject);
  });
}

function refusal(id: string, protocols: string[], headers: Record<string, string> = {}): Promise<{ status: number; body: string }> {
  const ws = new WebSocket(tunnelUrl(id), protocols, { headers });
  clients.push(ws);
  return new Promise((resolve, reject) => {
    ws.on('unexpected-response', (_req, res: IncomingMessage) => {
      let body = '';
      res.setEncoding('utf8').on('data', (c: string) => (body += c)).on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    ws.on('open', () => reject(new Error('the handshake completed')));
    ws.on('error', () => undefined);
  });
}

function closeOf(ws: WebSocket): Promise<{ code: number; reason: string }> {
  return new Promise((resolve) => ws.once('close', (code, reason) => resolve({ code, reason: reason.toString('utf8') })));
}

describe('tunnel URL and subprotocol selection', () => {
  it.each([
    ['a forward id', '/ws/port-forward/pf_abc', 'pf_abc'],
    ['a trailing slash', '/ws/port-forward/pf_abc/', 'pf_abc'],
    ['a query', '/ws/port-forward/pf_abc?x=1', 'pf_abc'],
    ['a deeper path', '/ws/port-forward/pf_abc/more', undefined],
    ['no id', '/ws/port-forward/', undefined],
  ])('parses %s', (_description, url, id) => {
    expect(parseTunnelUrl(url)).toBe(id);
  });

  it.each([
    ['Bearer and a token', ['Bearer', 'T0KEN'], 'Bearer'],
    ['bearer in another case (answered as offered)', ['bearer', 'T0KEN'], 'bearer'],
    ['only other protocols', ['chat'], false],
  ])('selects from %s', (_description, offered, selected) => {
    expect(selectSubprotocol(new Set(offered))).toBe(selected);
  });
});

describe('TunnelServer: handshake', () => {
  it('authenticates by subprotocols and selects Bearer, never the token', async () => {
    const tunnel = await openTunnel(forward.id);
    expect(tunnel.ws.protocol).toBe('Bearer');
    expect(tunnel.selected).toBe('Bearer');
  });

  it('authenticates by an Authorization header and then selects no subprotocol', async () => {
    const tunnel = await openTunnel(forward.id, [], { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
    expect(tunnel.ws.protocol).toBe('');
    expect(tunnel.selected).toBeUndefined();
  });

  it.each([
    ['a missing credential', () => forward.id, [] as string[], 401, 'unauthenticated'],
    ['a wrong token', () => forward.id, ['Bearer', 'wrong-token-0000'], 401, 'unauthenticated'],
    ['Bearer without a token', () => forward.id, ['Bearer'], 401, 'unauthenticated'],
    ['an unknown forward', () => 'pf_00000000000000000000', ['Bearer', ADMIN_TOKEN], 404, 'forward_not_found'],
    ['a malformed forward id', () => 'nope', ['Bearer', ADMIN_TOKEN], 404, 'forward_not_found'],
  ])('refuses %s with a real HTTP status before the handshake, without dialing', async (_d, id, protocols, status, code) => {
    const refused = await refusal(id(), protocols);
    expect(refused.status).toBe(status);
    expect(JSON.parse(refused.body)).toEqual({ error: { code, message: expect.any(String) } });
    expect(porthole.runtime.calls.dial).toBe(0);
  });

  it("answers 404 for a forward the caller may not see (Alice, Bob's container)", async () => {
    const bobs = await porthole.forward(app.address, BOB_CONTAINER);
    expect((await refusal(bobs.id, ['Bearer', ALICE_TOKEN])).status).toBe(404);
  });

  it('answers 502 upstream_unreachable within a second when nothing listens', async () => {
    const nothing = await porthole.forward({ host: '127.0.0.1', port: await unusedPort() });
    const started = Date.now();
    const refused = await refusal(nothing.id, ['Bearer', ADMIN_TOKEN]);
    expect(Date.now() - started).toBeLessThan(FAIL_FAST_MS);
    expect(refused.status).toBe(502);
    expect(JSON.parse(refused.body).error.code).toBe('upstream_unreachable');
  });

  it('answers 503 when the runtime cannot be reached', async () => {
    porthole.runtime.setUnavailable(true);
    const refused = await refusal(forward.id, ['Bearer', ADMIN_TOKEN]);
    expect(refused.status).toBe(503);
    expect(JSON.parse(refused.body).error.code).toBe('runtime_unavailable');
  });

  it('refuses a non-WebSocket request to the tunnel URL with 400 before dialing', async () => {
    const socket = await rawConnection(porthole.port);
    const answer = readUntilClose(socket, WAIT_MS);
    socket.write(`GET /ws/port-forward/${forward.id} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${ADMIN_TOKEN}\r\nConnection: Upgrade\r\nUpgrade: h2c\r\n\r\n`);
    expect(await answer).toMatch(/^HTTP\/1\.1 400 [\s\S]*"code":"invalid_request"/);
    expect(porthole.runtime.calls.dial).toBe(0);
  });

  it('closes the dialed socket when ws refuses a malformed handshake', async () => {
    const socket = await rawConnection(porthole.port);
    const answer = readUntilClose(socket, WAIT_MS);
    socket.write(
      `GET /ws/port-forward/${forward.id} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${ADMIN_TOKEN}\r\n` +
        'Connection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Key: not-a-key\r\nSec-WebSocket-Version: 13\r\n\r\n',
    );
    expect(await answer).toMatch(/^HTTP\/1\.1 400 /);
    expect(porthole.runtime.calls.dial).toBe(1);
    await waitUntil(() => app.openConnections() === 0, WAIT_MS, 'the dialed socket to close');
  });
});

describe('TunnelServer: bytes', () => {
  it('echoes 256 KB of random bytes byte-identical, as binary frames', async () => {
    const tunnel = await openTunnel(forward.id);
    const payload = randomBytes(256 * 1024);
    for (let offset = 0; offset < payload.length; offset += 10_000) tunnel.ws.send(payload.subarray(offset, offset + 10_000));
    await waitUntil(() => tunnel.received().length >= payload.length, WAIT_MS, 'the echo');
    expect(tunnel.received().equals(payload)).toBe(true);
  });

  it('carries a message of exactly 1 MiB and closes with 1009 on a larger one', async () => {
    const tunnel = await openTunnel(forward.id);
    const largest = randomBytes(MAX_MESSAGE_BYTES);
    tunnel.ws.send(largest);
    await waitUntil(() => tunnel.received().length >= largest.length, WAIT_MS, 'the echo of 1 MiB');
    expect(tunnel.received().equals(largest)).toBe(true);
    const closed = closeOf(tunnel.ws);
    tunnel.ws.send(Buffer.alloc(MAX_MESSAGE_BYTES + 1));
    expect((await closed).code).toBe(1009);
  });

  it('forwards the UTF-8 bytes of a text frame (so wscat works)', async () => {
    const tunnel = await openTunnel(forward.id);
    const binaryFlags: boolean[] = [];
    tunnel.ws.on('message', (_data, isBinary) => binaryFlags.push(isBinary));
    tunnel.ws.send('héllo ✓\n');
    await waitUntil(() => tunnel.received().length >= Buffer.byteLength('héllo ✓\n'), WAIT_MS, 'the echo');
    expect(tunnel.received()).toEqual(Buffer.from('héllo ✓\n', 'utf8'));
    expect(binaryFlags.every((flag) => flag)).toBe(true);
  });

  it('delivers what the container sends first, right after the handshake', async () => {
    const greeter = await startTcpServer((socket) => socket.end('220 ready\r\n'));
    try {
      const greeted = await porthole.forward(greeter.address);
      const tunnel = await openTunnel(greeted.id);
      const closed = closeOf(tunnel.ws);
      expect(await closed).toEqual({ code: 1000, reason: 'upstream closed' });
      expect(tunnel.received().toString()).toBe('220 ready\r\n');
    } finally {
      await greeter.close();
    }
  });
});

describe('TunnelServer: closing', () => {
  it('closes with 1011 and a short reason when the container resets the connection', async () => {
    const connected = nextEvent<Socket>(app.events, 'connection', WAIT_MS);
    const tunnel = await openTunnel(forward.id);
    const upstream = await connected;
    const closed = closeOf(tunnel.ws);
    upstream.resetAndDestroy();
    expect(await closed).toEqual({ code: 1011, reason: 'upstream error: ECONNRESET' });
  });

  it('ends the container socket when the client closes', async () => {
    const tunnel = await openTunnel(forward.id);
    const ended = nextEvent(app.events, 'ended', WAIT_MS);
    tunnel.ws.close(1000, 'bye');
    await ended;
    await waitUntil(() => app.openConnections() === 0, WAIT_MS, 'the container socket to close');
    expect(porthole.http.connections.count()).toBe(0);
  });

  it('destroys the container socket when the client vanishes', async () => {
    const tunnel = await openTunnel(forward.id);
    const closed = nextEvent(app.events, 'closed', WAIT_MS);
    tunnel.ws.terminate();
    await closed;
    await waitUntil(() => porthole.http.connections.count() === 0, WAIT_MS, 'the tunnel to be untracked');
  });

  it.each([
    ['deleting the forward', (t: TestPorthole) => t.remove(forward)],
    ['its container stopping', async (t: TestPorthole) => t.runtime.stop(forward.containerId)],
  ])('closes the tunnel within a second with 1000 "port forward removed" on %s', async (_description, removeIt) => {
    const tunnel = await openTunnel(forward.id);
    expect(porthole.http.connections.count(forward.id)).toBe(1);
    const closed = closeOf(tunnel.ws);
    const appClosed = nextEvent(app.events, 'closed', WAIT_MS);
    const started = Date.now();
    await removeIt(porthole);
    expect(await closed).toEqual({ code: 1000, reason: 'port forward removed' });
    expect(Date.now() - started).toBeLessThan(CLOSE_WITHIN_MS);
    await appClosed;
    expect(porthole.http.connections.count(forward.id)).toBe(0);
  });

  it('closes every tunnel with 1001 "server shutting down" on shutdown', async () => {
    const [first, second] = await Promise.all([openTunnel(forward.id), openTunnel(forward.id)]);
    const closes = Promise.all([closeOf(first!.ws), closeOf(second!.ws)]);
    porthole.http.shutdown();
    expect(await closes).toEqual([{ code: 1001, reason: 'server shutting down' }, { code: 1001, reason: 'server shutting down' }]);
  });

  it('survives garbage bytes on the raw socket after the handshake, and keeps serving', async () => {
    const socket = await rawConnection(porthole.port);
    const answer = readUntilClose(socket, WAIT_MS);
    socket.write(
      `GET /ws/port-forward/${forward.id} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${ADMIN_TOKEN}\r\n` +
        'Connection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n',
    );
    await waitUntil(() => app.openConnections() === 1, WAIT_MS, 'the tunnel to open');
    // Unmasked frames with reserved bits and opcodes: a protocol error for ws.
    socket.write(randomBytes(4096));
    expect(await answer).toMatch(/^HTTP\/1\.1 101 /);
    await waitUntil(() => app.openConnections() === 0, WAIT_MS, 'the container socket to close');
    const tunnel = await openTunnel(forward.id);
    tunnel.ws.send(Buffer.from('still here'));
    await waitUntil(() => tunnel.received().toString() === 'still here', WAIT_MS, 'the echo');
    expect((await httpRequest({ port: porthole.port, path: '/healthz' })).status).toBe(200);
  });
});
