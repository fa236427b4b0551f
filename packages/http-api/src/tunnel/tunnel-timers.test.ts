import type { Socket } from 'node:net';
import WebSocket from 'ws';
import type { PortForward } from '@porthole/core';
import { nextEvent, startTcpServer, waitUntil, type TcpFixture } from '../testing/fixtures';
import { ADMIN_TOKEN, startTestPorthole, type TestPorthole } from '../testing/porthole-test-server';
import { TEST_TIMEOUT_MS, WAIT_MS } from '../testing/test-timeouts';

jest.setTimeout(TEST_TIMEOUT_MS);

// Short enough for tests, far enough apart that a loaded machine's timer jitter does not
// decide them: activity every TICK_MS always comes well within IDLE_MS.
const IDLE_MS = 600;
const TICK_MS = 100;
// How late a timer may fire on a loaded 2-core machine before a test calls it a bug.
const JITTER_MS = 500;

let porthole: TestPorthole | undefined;
let app: TcpFixture;
let forward: PortForward;
const clients: WebSocket[] = [];
const timers: NodeJS.Timeout[] = [];

async function start(limits: { tunnelIdleTimeoutMs: number; tunnelPingIntervalMs: number }): Promise<TestPorthole> {
  porthole = await startTestPorthole({ limits });
  app = await startTcpServer();
  forward = await porthole.forward(app.address);
  return porthole;
}

afterEach(async () => {
  for (const timer of timers.splice(0)) clearInterval(timer);
  for (const client of clients.splice(0)) client.terminate();
  if (porthole !== undefined) {
    await porthole.close();
    expect(porthole.logger.messages('error')).toEqual([]);
  }
  porthole = undefined;
  await app.close();
});

function every(ms: number, action: () => void): void {
  timers.push(setInterval(action, ms));
}

async function openTunnel(options: WebSocket.ClientOptions = {}): Promise<WebSocket> {
  const ws = new WebSocket(`${porthole?.wsOrigin}/ws/port-forward/${forward.id}`, ['Bearer', ADMIN_TOKEN], options);
  clients.push(ws);
  await new Promise((resolve, reject) => {
    ws.once('open', resolve);
    ws.once('error', reject);
  });
  return ws;
}

interface Closed {
  readonly code: number;
  readonly reason: string;
  readonly at: number;
}

function closeOf(ws: WebSocket): Promise<Closed> {
  return new Promise((resolve) =>
    ws.once('close', (code, reason) => resolve({ code, reason: reason.toString('utf8'), at: Date.now() })),
  );
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('tunnel idle timeout', () => {
  it('closes a silent tunnel with 4000 "idle timeout" (our pings and their pongs do not count), ending the container socket', async () => {
    await start({ tunnelIdleTimeoutMs: IDLE_MS, tunnelPingIntervalMs: TICK_MS });
    const ws = await openTunnel();
    const pongs: number[] = [];
    ws.on('ping', () => pongs.push(Date.now()));
    const opened = Date.now();
    const ended = nextEvent(app.events, 'ended', WAIT_MS);
    const closed = await closeOf(ws);
    expect({ code: closed.code, reason: closed.reason }).toEqual({ code: 4000, reason: 'idle timeout' });
    expect(closed.at - opened).toBeGreaterThanOrEqual(IDLE_MS - 50);
    expect(closed.at - opened).toBeLessThan(IDLE_MS + JITTER_MS);
    expect(pongs.length).toBeGreaterThanOrEqual(2);
    // A FIN, not a hang: the container sees its connection end.
    await ended;
  });

  it.each([
    ['data from the client', (ws: WebSocket) => ws.send(Buffer.from('.'))],
    ['a ping from the client', (ws: WebSocket) => ws.ping()],
  ])('stays open while %s keeps coming, and closes once it stops', async (_description, activity) => {
    await start({ tunnelIdleTimeoutMs: IDLE_MS, tunnelPingIntervalMs: 10_000 });
    const ws = await openTunnel();
    const closed = closeOf(ws);
    every(TICK_MS, () => activity(ws));
    await sleep(3 * IDLE_MS);
    expect(ws.readyState).toBe(WebSocket.OPEN);
    for (const timer of timers.splice(0)) clearInterval(timer);
    const stopped = Date.now();
    const { code, at } = await closed;
    expect(code).toBe(4000);
    expect(at - stopped).toBeGreaterThanOrEqual(IDLE_MS - 2 * TICK_MS);
  });

  it('stays open while the container keeps sending', async () => {
    await start({ tunnelIdleTimeoutMs: IDLE_MS, tunnelPingIntervalMs: 10_000 });
    const connected = nextEvent<Socket>(app.events, 'connection', WAIT_MS);
    const ws = await openTunnel();
    const upstream = await connected;
    upstream.unpipe();
    every(TICK_MS, () => upstream.write('tick'));
    await sleep(3 * IDLE_MS);
    expect(ws.readyState).toBe(WebSocket.OPEN);
  });
});

describe('tunnel heartbeat', () => {
  it('terminates a client that misses two pongs, and destroys the container socket', async () => {
    await start({ tunnelIdleTimeoutMs: 60_000, tunnelPingIntervalMs: TICK_MS });
    const ws = await openTunnel({ autoPong: false });
    const appClosed = nextEvent(app.events, 'closed', WAIT_MS);
    const opened = Date.now();
    const { code, at } = await closeOf(ws);
    // Cut without a close frame, at the beat after the second unanswered ping.
    expect(code).toBe(1006);
    expect(at - opened).toBeGreaterThanOrEqual(2 * TICK_MS - 20);
    expect(at - opened).toBeLessThan(3 * TICK_MS + JITTER_MS);
    await appClosed;
    await waitUntil(() => porthole?.http.connections.count() === 0, WAIT_MS, 'the tunnel to be untracked');
  });

  it('keeps a client that does not answer pings while its data keeps coming (data is a sign of life)', async () => {
    await start({ tunnelIdleTimeoutMs: 60_000, tunnelPingIntervalMs: TICK_MS });
    const ws = await openTunnel({ autoPong: false });
    let pings = 0;
    ws.on('ping', () => (pings += 1));
    every(TICK_MS / 2, () => ws.send(Buffer.from('.')));
    await sleep(8 * TICK_MS);
    expect(ws.readyState).toBe(WebSocket.OPEN);
    expect(pings).toBeGreaterThanOrEqual(4);
  });

  it('keeps a client that answers pings, however long it is silent below the idle timeout', async () => {
    await start({ tunnelIdleTimeoutMs: 60_000, tunnelPingIntervalMs: TICK_MS });
    const ws = await openTunnel();
    let pings = 0;
    ws.on('ping', () => (pings += 1));
    await sleep(8 * TICK_MS);
    expect(ws.readyState).toBe(WebSocket.OPEN);
    expect(pings).toBeGreaterThanOrEqual(4);
  });
});
