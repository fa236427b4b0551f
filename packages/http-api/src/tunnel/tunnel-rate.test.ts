import { randomBytes } from 'node:crypto';
import type { Socket } from 'node:net';
import WebSocket from 'ws';
import { startTcpServer, type TcpFixture } from '../testing/fixtures';
import { ADMIN_TOKEN, startTestPorthole, type TestPorthole } from '../testing/porthole-test-server';
import { TEST_TIMEOUT_MS, WAIT_MS } from '../testing/test-timeouts';
import { BURST_SECONDS } from './token-bucket';
import { ByteMeter, MiB, pumpSocket, pumpWebSocket } from './testing/flow-meter';

jest.setTimeout(TEST_TIMEOUT_MS);

// The requirement: a sustained rate within ±10 % of the setting over a 3 s window.
const RATE = 2 * MiB;
const WINDOW_MS = 3000;
const TOLERANCE = 0.1;
// The steady window starts after the burst (and connection start-up) is surely over.
const SETTLE_MS = 500;
const CHUNK = randomBytes(64 * 1024);

let porthole: TestPorthole;
let app: TcpFixture;
let running = true;
const clients: WebSocket[] = [];

afterEach(async () => {
  running = false;
  for (const client of clients.splice(0)) client.terminate();
  await porthole.close();
  await app.close();
  expect(porthole.logger.messages('error')).toEqual([]);
});

async function start(limits: { tunnelBytesPerSecond: number; tunnelPingIntervalMs?: number }, onConnection: (socket: Socket) => void) {
  running = true;
  porthole = await startTestPorthole({ limits });
  app = await startTcpServer(onConnection);
  return porthole.forward(app.address);
}

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

/** The figures asserted for one direction, as measured by its receiver. */
function figures(meter: ByteMeter, first: number) {
  return {
    // Over the first 3 s the burst counts too: it must stay small.
    fromStart: meter.rate(first, WINDOW_MS) / RATE,
    steady: meter.rate(first + SETTLE_MS, WINDOW_MS) / RATE,
  };
}

function expectWithinTolerance(measured: { fromStart: number; steady: number }): void {
  expect(measured.steady).toBeGreaterThanOrEqual(1 - TOLERANCE);
  expect(measured.steady).toBeLessThanOrEqual(1 + TOLERANCE);
  expect(measured.fromStart).toBeLessThanOrEqual(1 + TOLERANCE);
}

const containerSends = (socket: Socket) => void pumpSocket(socket, CHUNK, () => running);

describe('tunnel rate limit (2 MiB/s per direction)', () => {
  it('holds container → client within ±10 % over 3 s, by pausing the container socket', async () => {
    const forward = await start({ tunnelBytesPerSecond: RATE }, containerSends);
    const meter = new ByteMeter();
    await openTunnel(forward.id, (data) => meter.add(data.length));
    const first = await meter.runFor(SETTLE_MS + WINDOW_MS, WINDOW_MS + 3 * WAIT_MS);
    expectWithinTolerance(figures(meter, first));
  });

  it('holds client → container within ±10 % over 3 s, by pausing the WebSocket', async () => {
    const meter = new ByteMeter();
    const forward = await start({ tunnelBytesPerSecond: RATE }, (socket) => socket.on('data', (chunk: Buffer) => meter.add(chunk.length)));
    const ws = await openTunnel(forward.id, () => undefined);
    pumpWebSocket(ws, CHUNK, () => running);
    const first = await meter.runFor(SETTLE_MS + WINDOW_MS, WINDOW_MS + 3 * WAIT_MS);
    expectWithinTolerance(figures(meter, first));
  });

  it('limits each direction on its own: both at 2 MiB/s ±10 % at the same time', async () => {
    const up = new ByteMeter();
    const forward = await start({ tunnelBytesPerSecond: RATE }, (socket) => {
      socket.on('data', (chunk: Buffer) => up.add(chunk.length));
      containerSends(socket);
    });
    const down = new ByteMeter();
    const ws = await openTunnel(forward.id, (data) => down.add(data.length));
    pumpWebSocket(ws, CHUNK, () => running);
    const [firstUp, firstDown] = await Promise.all([
      up.runFor(SETTLE_MS + WINDOW_MS, WINDOW_MS + 3 * WAIT_MS),
      down.runFor(SETTLE_MS + WINDOW_MS, WINDOW_MS + 3 * WAIT_MS),
    ]);
    expectWithinTolerance(figures(up, firstUp));
    expectWithinTolerance(figures(down, firstDown));
  });

  it('paces 1 MiB messages as a stream: never more than half a message within 100 ms, 2 MiB/s ±10 % over 3 s', async () => {
    const meter = new ByteMeter();
    const forward = await start({ tunnelBytesPerSecond: RATE }, (socket) => socket.on('data', (chunk: Buffer) => meter.add(chunk.length)));
    const ws = await openTunnel(forward.id, () => undefined);
    pumpWebSocket(ws, randomBytes(MiB), () => running, 2);
    const first = await meter.runFor(SETTLE_MS + WINDOW_MS, WINDOW_MS + 3 * WAIT_MS);
    expectWithinTolerance(figures(meter, first));
    // Passed whole, each message would land at once: 1 MiB within a few ms, every 0.5 s.
    // Paced, a 100 ms window holds 0.2 MiB, plus what a late timer lets catch up.
    expect(meter.maxInWindow(100, first + RATE * BURST_SECONDS)).toBeLessThanOrEqual(MiB / 2);
  });

  it('is off with 0: far beyond 2 MiB/s', async () => {
    const forward = await start({ tunnelBytesPerSecond: 0 }, containerSends);
    const meter = new ByteMeter();
    await openTunnel(forward.id, (data) => meter.add(data.length));
    const first = await meter.runFor(1000, 3 * WAIT_MS);
    expect(meter.rate(first, 1000)).toBeGreaterThan(5 * RATE);
  });
});

describe('tunnel heartbeat under a throttled transfer', () => {
  // Pings every 100 ms: two missed pongs would end the tunnel after ~300 ms, while a
  // transfer at 256 KiB/s runs for seconds with megabytes queued in the sockets.
  const SLOW = 256 * 1024;
  const PING_MS = 100;
  const RUN_MS = 2000;

  it.each([
    ['downloading (container → client)', 'down'],
    ['uploading (client → container; its pongs queue behind its data in TCP)', 'up'],
  ])('keeps a tunnel open while %s', async (_description, direction) => {
    const meter = new ByteMeter();
    const forward = await start({ tunnelBytesPerSecond: SLOW, tunnelPingIntervalMs: PING_MS }, (socket) => {
      if (direction === 'down') containerSends(socket);
      else socket.on('data', (chunk: Buffer) => meter.add(chunk.length));
    });
    const ws = await openTunnel(forward.id, (data) => direction === 'down' && meter.add(data.length));
    const pings: number[] = [];
    ws.on('ping', () => pings.push(performance.now()));
    let closed: number | undefined;
    ws.on('close', (code) => (closed = code));
    if (direction === 'up') pumpWebSocket(ws, CHUNK, () => running, 64);
    const first = await meter.runFor(RUN_MS, RUN_MS + 3 * WAIT_MS);
    expect(closed).toBeUndefined();
    expect(ws.readyState).toBe(WebSocket.OPEN);
    // The transfer really was throttled the whole time ...
    expect(meter.rate(first, RUN_MS) / SLOW).toBeLessThanOrEqual(1 + TOLERANCE + BURST_SECONDS / (RUN_MS / 1000));
    // ... and our pings kept coming: they never wait behind throttled bytes.
    const during = pings.filter((at) => at >= first && at < first + RUN_MS);
    expect(during.length).toBeGreaterThanOrEqual(RUN_MS / PING_MS / 2);
  });
});
