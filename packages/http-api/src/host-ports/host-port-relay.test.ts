import { createHash, randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { connect, createServer, type AddressInfo, type Socket } from 'node:net';
import {
  CryptoIdGenerator,
  ForwardService,
  InMemoryForwardStore,
  InProcessEventBus,
  systemClock,
  type Principal,
} from '@porthole/core';
import { FakeContainerRuntime } from '@porthole/core/testing';
import { nextEvent, startTcpServer, waitUntil, type TcpFixture } from '../testing/fixtures';
import { RecordingLogger } from '../testing/recording-logger';
import { TEST_TIMEOUT_MS, WAIT_MS } from '../testing/test-timeouts';
import { bufferMemory, ByteMeter, MiB, pumpSocket, settled } from '../tunnel/testing/flow-meter';
import { HostPortListeners } from './host-port-listeners';
import type { HostPortLimits } from './host-port-relay';

jest.setTimeout(3 * TEST_TIMEOUT_MS);

// Host ports get the tunnel's limits; the figures are the tunnel's too.
const RATE = 2 * MiB;
const WINDOW_MS = 3000;
const SETTLE_MS = 500;
const TOLERANCE = 0.1;
const IDLE_MS = 600;
const TICK_MS = 100;
const JITTER_MS = 500;
const MEMORY_BOUND = 64 * MiB;
const CHUNK = randomBytes(64 * 1024);
const ADMIN: Principal = { id: 'admin', role: 'admin' };
const CONTAINER = 'c0ffee00000000000000000000000000000000000000000000000000000000bb';

let listeners: HostPortListeners | undefined;
let app: TcpFixture | undefined;
let logger: RecordingLogger;
let running = true;
const sockets: Socket[] = [];

afterEach(async () => {
  running = false;
  for (const socket of sockets.splice(0)) socket.destroy();
  await listeners?.closeAll();
  await app?.close();
  listeners = undefined;
  app = undefined;
  expect(logger.messages('warn')).toEqual([]);
});

/** HostPortListeners with `limits` over a fake runtime whose port 9000 is `onConnection`. */
async function hostPortTo(limits: Partial<HostPortLimits>, onConnection: (socket: Socket) => void): Promise<number> {
  running = true;
  logger = new RecordingLogger();
  app = await startTcpServer(onConnection);
  const probe = createServer().listen(0, '127.0.0.1');
  await once(probe, 'listening');
  const first = (probe.address() as AddressInfo).port;
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  const runtime = new FakeContainerRuntime([{ id: CONTAINER, name: 'web' }]);
  listeners = new HostPortListeners({ range: { first, last: Math.min(first + 4, 65535) }, bind: '127.0.0.1', logger, limits });
  const forwards = new ForwardService({
    runtime,
    store: new InMemoryForwardStore(),
    localPorts: listeners,
    ids: new CryptoIdGenerator(),
    clock: systemClock,
    events: new InProcessEventBus(),
  });
  listeners.attach(forwards);
  runtime.listen(CONTAINER, 9000, app.address);
  return (await forwards.createForward(ADMIN, 'web', { containerPort: 9000 })).localPort;
}

async function dial(port: number, allowHalfOpen = false): Promise<Socket> {
  const socket = connect({ port, host: '127.0.0.1', allowHalfOpen });
  sockets.push(socket);
  await once(socket, 'connect');
  return socket;
}

const sends = (socket: Socket) => void pumpSocket(socket, CHUNK, () => running);
const counts = (meter: ByteMeter) => (socket: Socket) => socket.on('data', (chunk: Buffer) => meter.add(chunk.length));

describe('host port rate limit (2 MiB/s per connection and direction)', () => {
  it.each([
    ['container → client', 'down'],
    ['client → container', 'up'],
  ])('holds %s within ±10 % over 3 s', async (_description, direction) => {
    const meter = new ByteMeter();
    const port = await hostPortTo({ bytesPerSecond: RATE }, direction === 'down' ? sends : counts(meter));
    const client = await dial(port);
    if (direction === 'down') counts(meter)(client);
    else void pumpSocket(client, CHUNK, () => running);
    const first = await meter.runFor(SETTLE_MS + WINDOW_MS, WINDOW_MS + 3 * WAIT_MS);
    const steady = meter.rate(first + SETTLE_MS, WINDOW_MS) / RATE;
    expect(steady).toBeGreaterThanOrEqual(1 - TOLERANCE);
    expect(steady).toBeLessThanOrEqual(1 + TOLERANCE);
    expect(meter.rate(first, WINDOW_MS) / RATE).toBeLessThanOrEqual(1 + TOLERANCE);
  });

  it('is off with 0: far beyond 2 MiB/s', async () => {
    const port = await hostPortTo({ bytesPerSecond: 0 }, sends);
    const meter = new ByteMeter();
    counts(meter)(await dial(port));
    const first = await meter.runFor(1000, 3 * WAIT_MS);
    expect(meter.rate(first, 1000)).toBeGreaterThan(5 * RATE);
  });
});

describe('host port idle timeout', () => {
  it('ends both sides with a FIN after the timeout with no byte either way', async () => {
    // An app that closes its side when it sees the FIN, as most do.
    const port = await hostPortTo({ idleTimeoutMs: IDLE_MS }, (socket) => socket.on('end', () => socket.end()));
    const containerEnded = nextEvent(app!.events, 'ended', WAIT_MS);
    const client = await dial(port, true);
    const opened = Date.now();
    await once(client, 'end');
    const at = Date.now() - opened;
    expect(at).toBeGreaterThanOrEqual(IDLE_MS - 50);
    expect(at).toBeLessThan(IDLE_MS + JITTER_MS);
    await containerEnded;
    // Both sides answered with their own FIN, so both sockets close: nothing hangs.
    client.end();
    await once(client, 'close');
    await waitUntil(() => listeners?.connectionCount() === 0 && app?.openConnections() === 0, WAIT_MS, 'both sockets to close');
  });

  it.each([
    ['the client sends', 'client'],
    ['the container sends', 'container'],
  ])('stays open while %s, and ends once it stops', async (_description, who) => {
    let upstream: Socket | undefined;
    const port = await hostPortTo({ idleTimeoutMs: IDLE_MS }, (socket) => (upstream = socket));
    const client = await dial(port, true);
    client.resume();
    const ended = once(client, 'end');
    const timer = setInterval(() => (who === 'client' ? client : upstream)?.write('.'), TICK_MS);
    try {
      await new Promise((resolve) => setTimeout(resolve, 3 * IDLE_MS));
      expect(client.readableEnded).toBe(false);
    } finally {
      clearInterval(timer);
    }
    const stopped = Date.now();
    await ended;
    expect(Date.now() - stopped).toBeGreaterThanOrEqual(IDLE_MS - 2 * TICK_MS);
  });
});

describe('host port backpressure (256 MiB, rate unlimited)', () => {
  const TOTAL = 256 * MiB;
  const expectedHash = (() => {
    const hash = createHash('sha256');
    for (let sent = 0; sent < TOTAL; sent += CHUNK.length) hash.update(CHUNK);
    return hash.digest('hex');
  })();

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

  function hashing(socket: Socket, onBytes: (n: number) => void): () => string {
    const hash = createHash('sha256');
    socket.on('data', (chunk: Buffer) => {
      hash.update(chunk);
      onBytes(chunk.length);
    });
    return () => hash.digest('hex');
  }

  it.each([
    ['the client stops reading while the container sends', 'down'],
    ['the container stops reading while the client sends', 'up'],
  ])('%s: memory grows < 64 MiB, and every byte arrives once it reads again', async (_description, direction) => {
    let produced = 0;
    let consumed = 0;
    let reader: Socket | undefined;
    let digest: () => string = () => '';
    const more = () => produced < TOTAL && (produced += CHUNK.length) > 0;
    const port = await hostPortTo({ bytesPerSecond: 0 }, (socket) => {
      if (direction === 'down') void pumpSocket(socket, CHUNK, more).then(() => socket.end());
      else {
        reader = socket.pause();
        digest = hashing(socket, (n) => (consumed += n));
      }
    });
    const client = await dial(port);
    if (direction === 'down') {
      reader = client.pause();
      digest = hashing(client, (n) => (consumed += n));
    } else void pumpSocket(client, CHUNK, more).then(() => client.end());

    const { stalledAt, growth } = await stallAndMeasure(() => produced);
    expect(stalledAt).toBeLessThan(TOTAL / 8);
    expect(growth).toBeLessThan(MEMORY_BOUND);

    reader?.resume();
    await waitUntil(() => consumed >= TOTAL, 8 * WAIT_MS, 'every byte');
    expect(consumed).toBe(TOTAL);
    expect(digest()).toBe(expectedHash);
  });
});

describe('host port half-close', () => {
  it('passes a FIN from the container on, and the client can still send after it', async () => {
    let input = '';
    const port = await hostPortTo({}, (socket) => {
      socket.end('hello\n'); // its FIN first, while it still reads
      socket.on('data', (chunk: Buffer) => (input += chunk.toString()));
    });
    const containerEnded = nextEvent(app!.events, 'ended', WAIT_MS);
    const client = await dial(port, true);
    let reply = '';
    client.on('data', (chunk: Buffer) => (reply += chunk.toString()));
    await once(client, 'end');
    expect(reply).toBe('hello\n');
    client.end('late words\n');
    await containerEnded;
    expect(input).toBe('late words\n');
  });
});
