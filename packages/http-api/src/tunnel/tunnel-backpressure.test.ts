import { createHash, randomBytes } from 'node:crypto';
import type { Socket } from 'node:net';
import WebSocket from 'ws';
import { startTcpServer, waitUntil, type TcpFixture } from '../testing/fixtures';
import { ADMIN_TOKEN, startTestPorthole, type TestPorthole } from '../testing/porthole-test-server';
import { TEST_TIMEOUT_MS, WAIT_MS } from '../testing/test-timeouts';
import { bufferMemory, MiB, pumpWebSocket, settled } from './testing/flow-meter';

jest.setTimeout(3 * TEST_TIMEOUT_MS);

// Far more than every buffer on the way (Porthole's high-water mark, kernel socket
// buffers): without backpressure most of it would pile up in Porthole's memory at once.
const TOTAL = 256 * MiB;
// The requirement: a stalled reader grows Porthole's memory by no more than this.
const MEMORY_BOUND = 64 * MiB;
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
  // Unlimited rate: this is about backpressure alone, at full speed.
  porthole = await startTestPorthole({ limits: { tunnelBytesPerSecond: 0 } });
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

/**
 * Buffer memory of this whole process (Porthole, the app and the client alike) above
 * where it stood before the transfer, at its highest while the flow was stalled. The app
 * and the client write one reused chunk at a time, so what grows is what the sockets and
 * Porthole hold.
 */
async function stallAndMeasure(read: () => number): Promise<{ stalledAt: number; growth: number }> {
  const baseline = bufferMemory();
  let peak = baseline;
  const sampler = setInterval(() => (peak = Math.max(peak, bufferMemory())), 20);
  try {
    const stalledAt = await settled(read, 500, 3 * WAIT_MS);
    return { stalledAt, growth: Math.max(peak, bufferMemory()) - baseline };
  } finally {
    clearInterval(sampler);
  }
}

describe('tunnel backpressure (256 MiB, rate unlimited)', () => {
  it('stops reading the container while the client does not read: memory grows < 64 MiB, nothing is lost', async () => {
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

    const { stalledAt, growth } = await stallAndMeasure(() => produced);
    expect(stalledAt).toBeLessThan(TOTAL / 8);
    expect(growth).toBeLessThan(MEMORY_BOUND);

    ws.resume();
    await waitUntil(() => received >= TOTAL, 8 * WAIT_MS, 'every byte');
    expect(received).toBe(TOTAL);
    expect(hash.digest('hex')).toBe(expectedHash);
  });

  it('stops reading the client while the container does not read: memory grows < 64 MiB, nothing is lost', async () => {
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
    let sent = 0;
    let accepted = 0;
    pumpWebSocket(ws, CHUNK, () => sent < TOTAL && (sent += CHUNK.length) > 0, 4, (bytes) => (accepted += bytes));

    // Porthole stopped taking frames from the client, so the client stalls too.
    const { stalledAt, growth } = await stallAndMeasure(() => accepted);
    expect(stalledAt).toBeLessThan(TOTAL / 8);
    expect(growth).toBeLessThan(MEMORY_BOUND);

    container?.resume();
    await waitUntil(() => consumed >= TOTAL, 8 * WAIT_MS, 'every byte');
    expect(consumed).toBe(TOTAL);
    expect(hash.digest('hex')).toBe(expectedHash);
  });
});
