import { createHash, randomBytes } from 'node:crypto';
import type { Socket } from 'node:net';
import WebSocket from 'ws';
import { startTcpServer, waitUntil, type TcpFixture } from '../testing/fixtures';
import { ADMIN_TOKEN, startTestPorthole, type TestPorthole } from '../testing/porthole-test-server';
import { TEST_TIMEOUT_MS, WAIT_MS } from '../testing/test-timeouts';

jest.setTimeout(2 * TEST_TIMEOUT_MS);

// Far more than every buffer on the way (Porthole's high-water mark, kernel socket
// buffers): without backpressure all of it would pile up in Porthole's memory at once.
const TOTAL = 64 * 1024 * 1024;
const CHUNK = randomBytes(64 * 1024);
const expectedHash = (() => {
  const hash = createHash('sha256');
  for (let sent = 0; sent < TOTAL; sent += CHUNK.length) hash.update(CHUNK);
  return hash.digest('hex');
})();

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

async function openTunnel(forwardId: string, onMessage: (data: Buffer) => void): Promise<WebSocket> {
  const ws = new WebSocket(`${porthole.wsOrigin}/ws/port-forward/${forwardId}`, ['Bearer', ADMIN_TOKEN]);
  clients.push(ws);
  ws.on('message', onMessage);
  await new Promise((resolve, reject) => {
    ws.once('open', resolve);
    ws.once('error', reject);
  });
  return ws;
}

/** Resolves once `read()` has not changed for `quietMs` (the flow stalled). */
async function settled(read: () => number, quietMs = 500): Promise<number> {
  let last = read();
  let since = Date.now();
  const deadline = Date.now() + WAIT_MS;
  while (Date.now() - since < quietMs && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 50));
    const now = read();
    if (now !== last) {
      last = now;
      since = Date.now();
    }
  }
  return last;
}

describe('tunnel backpressure', () => {
  it('stops reading the container while the client does not read, and loses nothing', async () => {
    let produced = 0;
    app = await startTcpServer((socket: Socket) => {
      const pump = () => {
        while (produced < TOTAL) {
          produced += CHUNK.length;
          if (!socket.write(CHUNK)) {
            socket.once('drain', pump);
            return;
          }
        }
        socket.end();
      };
      pump();
    });
    const forward = await porthole.forward(app.address);
    const hash = createHash('sha256');
    let received = 0;
    const ws = await openTunnel(forward.id, (data) => {
      received += data.length;
      hash.update(data);
    });
    ws.pause();

    const stalledAt = await settled(() => produced);
    expect(stalledAt).toBeLessThan(TOTAL / 2);

    ws.resume();
    await waitUntil(() => received >= TOTAL, 4 * WAIT_MS, 'every byte');
    expect(received).toBe(TOTAL);
    expect(hash.digest('hex')).toBe(expectedHash);
  });

  it('stops reading the client while the container does not read, and loses nothing', async () => {
    let container: Socket | undefined;
    const hash = createHash('sha256');
    let consumed = 0;
    app = await startTcpServer((socket: Socket) => {
      container = socket;
      socket.pause();
      socket.on('data', (chunk: Buffer) => {
        consumed += chunk.length;
        hash.update(chunk);
      });
    });
    const forward = await porthole.forward(app.address);
    const ws = await openTunnel(forward.id, () => undefined);
    await waitUntil(() => container !== undefined, WAIT_MS, 'the container connection');
    // A well-behaved client: a few frames in flight, the next one when the socket took one.
    // (bufferedAmount alone would not tell: Node flushes a backlog in one writev.)
    let sent = 0;
    let accepted = 0;
    const sendNext = (): void => {
      if (sent >= TOTAL || ws.readyState !== WebSocket.OPEN) return;
      sent += CHUNK.length;
      ws.send(CHUNK, (error) => {
        if (error !== undefined && error !== null) return;
        accepted += CHUNK.length;
        sendNext();
      });
    };
    for (let i = 0; i < 4; i += 1) sendNext();

    // Porthole stopped taking frames from the client, so the client stalls too.
    const stalledAt = await settled(() => accepted);
    expect(stalledAt).toBeLessThan(TOTAL / 2);

    container?.resume();
    await waitUntil(() => consumed >= TOTAL, 4 * WAIT_MS, 'every byte');
    expect(consumed).toBe(TOTAL);
    expect(hash.digest('hex')).toBe(expectedHash);
  });
});
