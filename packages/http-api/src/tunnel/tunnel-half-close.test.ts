import type { Socket } from 'node:net';
import WebSocket from 'ws';
import { nextEvent, startTcpServer, waitUntil, type TcpFixture } from '../testing/fixtures';
import { rawConnection } from '../testing/http-client';
import { ADMIN_TOKEN, startTestPorthole, type TestPorthole } from '../testing/porthole-test-server';
import { QUIET_MS, TEST_TIMEOUT_MS, WAIT_MS } from '../testing/test-timeouts';

jest.setTimeout(TEST_TIMEOUT_MS);

// What the README says the tunnel does with half-close and early data, checked.

let porthole: TestPorthole;
let app: TcpFixture | undefined;
const clients: WebSocket[] = [];

beforeEach(async () => {
  porthole = await startTestPorthole();
});

afterEach(async () => {
  for (const client of clients.splice(0)) client.terminate();
  await porthole.close();
  await app?.close();
  app = undefined;
  expect(porthole.logger.messages('error')).toEqual([]);
});

interface Client {
  readonly ws: WebSocket;
  readonly received: () => string;
  readonly closed: Promise<{ code: number; reason: string }>;
}

/** A tunnel client; `onOpen` runs in the very 'open' callback, before anything else. */
async function openTunnel(forwardId: string, onOpen: (ws: WebSocket) => void = () => undefined): Promise<Client> {
  const ws = new WebSocket(`${porthole.wsOrigin}/ws/port-forward/${forwardId}`, ['Bearer', ADMIN_TOKEN]);
  clients.push(ws);
  const chunks: Buffer[] = [];
  ws.on('message', (data: Buffer) => chunks.push(data));
  const closed = new Promise<{ code: number; reason: string }>((resolve) =>
    ws.once('close', (code, reason) => resolve({ code, reason: reason.toString('utf8') })),
  );
  await new Promise((resolve, reject) => {
    ws.once('open', () => {
      onOpen(ws);
      resolve(undefined);
    });
    ws.once('error', reject);
  });
  return { ws, received: () => Buffer.concat(chunks).toString('utf8'), closed };
}

/** A masked client frame (RFC 6455 §5.2): FIN, binary, with a 4-byte mask. */
function clientFrame(payload: string): Buffer {
  const data = Buffer.from(payload);
  const mask = Buffer.from([1, 2, 3, 4]);
  const masked = Buffer.from(data.map((byte, i) => byte ^ (mask[i % 4] as number)));
  return Buffer.concat([Buffer.from([0x82, 0x80 | data.length]), mask, masked]);
}

describe('tunnel: early data', () => {
  it('delivers 200 messages sent in the open callback itself, in order', async () => {
    app = await startTcpServer();
    const forward = await porthole.forward(app.address);
    const parts = Array.from({ length: 200 }, (_, i) => `${i};`);
    const client = await openTunnel(forward.id, (ws) => parts.forEach((part) => ws.send(part)));
    await waitUntil(() => client.received().length >= parts.join('').length, WAIT_MS, 'the echo');
    expect(client.received()).toBe(parts.join(''));
  });

  it('delivers frames written in the same packet as the handshake, before the container was even dialed', async () => {
    app = await startTcpServer();
    const forward = await porthole.forward(app.address);
    const socket = await rawConnection(porthole.port);
    const chunks: Buffer[] = [];
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    socket.write(
      Buffer.concat([
        Buffer.from(
          `GET /ws/port-forward/${forward.id} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${ADMIN_TOKEN}\r\n` +
            'Connection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n',
        ),
        clientFrame('first '),
        clientFrame('second '),
        clientFrame('third'),
      ]),
    );
    // The echo comes back as unmasked server frames after the 101: the payloads, in order.
    await waitUntil(() => Buffer.concat(chunks).includes('third'), WAIT_MS, 'the echo');
    const answer = Buffer.concat(chunks).toString('latin1');
    expect(answer).toMatch(/^HTTP\/1\.1 101 /);
    expect(answer.indexOf('first ')).toBeLessThan(answer.indexOf('second '));
    expect(answer.indexOf('second ')).toBeLessThan(answer.indexOf('third'));
    socket.destroy();
  });
});

describe('tunnel: half-close (a WebSocket has none)', () => {
  // Like `sort`: reads to the end, then answers, then closes.
  const sorter = (socket: Socket) => {
    let input = '';
    socket.on('data', (chunk: Buffer) => (input += chunk.toString()));
    socket.on('end', () => socket.end(input.split('\n').filter(Boolean).sort().join('\n') + '\n'));
  };

  it('client closes: the container gets every byte, then a FIN; its late reply is dropped, the client saw its own close', async () => {
    let input = '';
    let replied = false;
    app = await startTcpServer((socket) => {
      socket.on('data', (chunk: Buffer) => (input += chunk.toString()));
      sorter(socket);
      socket.once('end', () => (replied = true));
    });
    const forward = await porthole.forward(app.address);
    const ended = nextEvent(app.events, 'ended', WAIT_MS);
    const appClosed = nextEvent(app.events, 'closed', WAIT_MS);
    const client = await openTunnel(forward.id);
    client.ws.send('b\na\n');
    client.ws.close(1000, 'done sending');
    expect(await client.closed).toEqual({ code: 1000, reason: 'done sending' });
    await ended;
    expect(input).toBe('b\na\n');
    expect(replied).toBe(true);
    // The container's answer had nowhere to go: Porthole read it, dropped it and closed.
    await appClosed;
    expect(client.received()).toBe('');
    expect(porthole.http.connections.count()).toBe(0);
  });

  it('container half-closes: the client gets every byte, then 1000 "upstream closed"; the container gets a FIN too', async () => {
    let afterwards = '';
    app = await startTcpServer((socket) => {
      socket.end('last words\n'); // FIN, while it would still read
      socket.on('data', (chunk: Buffer) => (afterwards += chunk.toString()));
    });
    const forward = await porthole.forward(app.address);
    const ended = nextEvent(app.events, 'ended', WAIT_MS);
    const client = await openTunnel(forward.id);
    expect(await client.closed).toEqual({ code: 1000, reason: 'upstream closed' });
    expect(client.received()).toBe('last words\n');
    // Porthole ended its side as well: the half-close became a full close.
    await ended;
    expect(client.ws.readyState).toBe(WebSocket.CLOSED);
    await new Promise((resolve) => setTimeout(resolve, QUIET_MS));
    expect(afterwards).toBe('');
  });

  it('container closes right after a large reply: all of it arrives before the close, even when paced', async () => {
    await porthole.close();
    porthole = await startTestPorthole({ limits: { tunnelBytesPerSecond: 4 * 1024 * 1024 } });
    const reply = Buffer.alloc(3 * 1024 * 1024, 'x');
    app = await startTcpServer((socket) => socket.end(reply));
    const forward = await porthole.forward(app.address);
    const client = await openTunnel(forward.id);
    const started = Date.now();
    expect(await client.closed).toEqual({ code: 1000, reason: 'upstream closed' });
    expect(client.received().length).toBe(reply.length);
    // 3 MiB at 4 MiB/s: the close waited for the paced bytes (~0.55 s after the burst).
    expect(Date.now() - started).toBeGreaterThanOrEqual(400);
  });
});
