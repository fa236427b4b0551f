import { once } from 'node:events';
import { connect, createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import {
  CryptoIdGenerator,
  ForwardService,
  InProcessEventBus,
  InMemoryForwardStore,
  systemClock,
  type ForwardId,
  type Principal,
} from '@porthole/core';
import { FakeContainerRuntime } from '@porthole/core/testing';
import { startTcpServer, type TcpFixture } from '../testing/fixtures';
import { RecordingLogger } from '../testing/recording-logger';
import { CLOSE_WITHIN_MS, TEST_TIMEOUT_MS, WAIT_MS } from '../testing/test-timeouts';
import { HostPortListeners } from './host-port-listeners';

jest.setTimeout(TEST_TIMEOUT_MS);

const ADMIN: Principal = { id: 'admin', role: 'admin' };
const CONTAINER = 'c0ffee00000000000000000000000000000000000000000000000000000000aa';

let runtime: FakeContainerRuntime;
let listeners: HostPortListeners;
let forwards: ForwardService;
let logger: RecordingLogger;
let range: { first: number; last: number };

/** A small free range: an OS-assigned port and the few above it. */
async function freeRange(size: number): Promise<{ first: number; last: number }> {
  const probe = createServer();
  probe.listen(0, '127.0.0.1');
  await once(probe, 'listening');
  const first = (probe.address() as AddressInfo).port;
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  return { first, last: Math.min(first + size - 1, 65535) };
}

beforeEach(async () => {
  runtime = new FakeContainerRuntime([{ id: CONTAINER, name: 'web' }]);
  logger = new RecordingLogger();
  range = await freeRange(5);
  listeners = new HostPortListeners({ range, bind: '127.0.0.1', logger });
  forwards = new ForwardService({
    runtime,
    store: new InMemoryForwardStore(),
    localPorts: listeners,
    ids: new CryptoIdGenerator(),
    clock: systemClock,
    events: new InProcessEventBus(),
  });
  listeners.attach(forwards);
});

afterEach(async () => {
  await listeners.closeAll();
  expect(logger.messages('warn')).toEqual([]);
});

async function forwardTo(app: { address: { host: string; port: number } }, containerPort = 9000, localPort?: number) {
  runtime.listen(CONTAINER, containerPort, app.address);
  return forwards.createForward(ADMIN, 'web', { containerPort, ...(localPort === undefined ? {} : { localPort }) });
}

/** allowHalfOpen keeps our side open after the server's FIN (for half-close tests only). */
function dial(port: number, allowHalfOpen = false): Promise<Socket> {
  const socket = connect({ port, host: '127.0.0.1', allowHalfOpen });
  return new Promise((resolve, reject) => {
    socket.once('connect', () => resolve(socket));
    socket.once('error', reject);
  });
}

function forwardIdOf(n: number): ForwardId {
  return `pf_${String(n).padStart(24, '0')}` as ForwardId;
}

function readAll(socket: Socket): Promise<string> {
  let text = '';
  socket.on('data', (chunk: Buffer) => (text += chunk.toString()));
  return new Promise((resolve, reject) => {
    socket.once('end', () => resolve(text));
    socket.once('error', reject);
    setTimeout(() => reject(new Error(`no end within ${WAIT_MS} ms; got ${JSON.stringify(text)}`)), WAIT_MS).unref();
  });
}

describe('HostPortListeners', () => {
  let echo: TcpFixture;
  beforeEach(async () => {
    echo = await startTcpServer();
  });
  afterEach(() => echo.close());

  it('relays bytes to the container port, early bytes first and in order', async () => {
    const forward = await forwardTo(echo);
    expect(forward.localPort).toBeGreaterThanOrEqual(range.first);
    const socket = connect(forward.localPort, '127.0.0.1');
    // Written before the connection is even established, let alone dialed upstream.
    for (const part of ['one ', 'two ', 'three']) socket.write(part);
    let received = '';
    socket.on('data', (chunk: Buffer) => (received += chunk.toString()));
    await waitFor(() => received === 'one two three');
    socket.destroy();
  });

  it('keeps half-close: a client that sends and shuts its write side still gets the late reply', async () => {
    // Like `sort`: reads to the end, then answers.
    const sorter = await startServer((socket) => {
      let input = '';
      socket.on('data', (chunk: Buffer) => (input += chunk.toString()));
      socket.on('end', () => socket.end(input.split('\n').filter(Boolean).sort().join('\n') + '\n'));
    });
    try {
      const forward = await forwardTo({ address: sorter.address }, 7000);
      const socket = await dial(forward.localPort, true);
      const reply = readAll(socket);
      socket.end('b\na\n');
      expect(await reply).toBe('a\nb\n');
    } finally {
      await sorter.close();
    }
  });

  it('gives a requested port, refuses it while taken, and refuses one outside the range', async () => {
    const requested = range.first + 2;
    const forward = await forwardTo(echo, 9000, requested);
    expect(forward.localPort).toBe(requested);
    await expect(forwardTo(echo, 9001, requested)).rejects.toMatchObject({ code: 'local_port_unavailable' });
    await expect(forwardTo(echo, 9002, range.last + 1)).rejects.toMatchObject({ code: 'local_port_unavailable' });
  });

  it('refuses a requested port another program holds, and skips it when picking one', async () => {
    const squatter = createServer();
    squatter.listen(range.first, '127.0.0.1');
    await once(squatter, 'listening');
    try {
      await expect(forwardTo(echo, 9000, range.first)).rejects.toMatchObject({
        code: 'local_port_unavailable',
        message: expect.stringMatching(/already in use on the Porthole host/),
      });
      const picked = await forwardTo(echo, 9001);
      // Any other port of the range: ports above an OS-assigned one may be busy too.
      expect(picked.localPort).not.toBe(range.first);
      expect(picked.localPort).toBeGreaterThan(range.first);
      expect(picked.localPort).toBeLessThanOrEqual(range.last);
    } finally {
      squatter.close();
    }
  });

  it('goes past a long run of ports other programs hold (a second Porthole), and says so once all are taken', async () => {
    const wide = await freeRange(80);
    const picker = new HostPortListeners({ range: wide, bind: '127.0.0.1', logger });
    const squatters: Server[] = [];
    const squat = async (port: number) => {
      const server = createServer();
      // Held by another program already: busy either way. (events.once would reject on
      // 'error' while waiting for 'listening'.)
      await new Promise<void>((resolve) => {
        server.once('listening', resolve);
        server.once('error', () => resolve());
        server.listen(port, '127.0.0.1');
      });
      squatters.push(server);
    };
    try {
      for (let port = wide.first; port < wide.first + 70; port += 1) await squat(port);
      const picked = await picker.reserve(forwardIdOf(1), undefined);
      expect(picked).toBeGreaterThanOrEqual(wide.first + 70);
      for (let port = wide.first + 70; port <= wide.last; port += 1) if (port !== picked) await squat(port);
      await expect(picker.reserve(forwardIdOf(2), undefined)).rejects.toMatchObject({
        code: 'local_port_unavailable',
        message: 'No free local port was found: the range is busy with other programs.',
      });
    } finally {
      await picker.closeAll();
      for (const server of squatters) server.close();
    }
  });

  it('reopens a stored forward\'s port at start-up, relays through it, and keeps it booked when taken', async () => {
    const store = new InMemoryForwardStore();
    const before = new ForwardService({ runtime, store, localPorts: listeners, ids: new CryptoIdGenerator(), clock: systemClock, events: new InProcessEventBus() });
    listeners.attach(before);
    runtime.listen(CONTAINER, 9000, echo.address);
    runtime.listen(CONTAINER, 9001, echo.address);
    const kept = await before.createForward(ADMIN, 'web', { containerPort: 9000, localPort: range.first });
    const squatted = await before.createForward(ADMIN, 'web', { containerPort: 9001, localPort: range.first + 1 });
    await listeners.closeAll(); // the process goes away

    const squatter = createServer();
    squatter.listen(squatted.localPort, '127.0.0.1');
    await once(squatter, 'listening');
    const again = new HostPortListeners({ range, bind: '127.0.0.1', logger });
    const after = new ForwardService({ runtime, store, localPorts: again, ids: new CryptoIdGenerator(), clock: systemClock, events: new InProcessEventBus() });
    again.attach(after);
    try {
      const report = await after.restore();
      expect(report.kept.map((f) => f.id)).toEqual([kept.id, squatted.id]);
      expect(report.portsNotReopened).toEqual([
        { forward: squatted, message: `local_port ${squatted.localPort} could not be reopened: another program listens on it.` },
      ]);
      const socket = await dial(kept.localPort);
      socket.write('still here');
      const [echoed] = (await once(socket, 'data')) as [Buffer];
      expect(echoed.toString()).toBe('still here');
      socket.destroy();
      // The squatted port is not handed to anyone else.
      await expect(again.reserve(kept.id, squatted.localPort)).rejects.toMatchObject({ code: 'local_port_unavailable' });
    } finally {
      squatter.close();
      await again.closeAll();
    }
  });

  it('closes the listener and its live connections within 1 s when the forward is deleted', async () => {
    const forward = await forwardTo(echo);
    const socket = await dial(forward.localPort);
    socket.write('x');
    await once(socket, 'data');
    const closed = once(socket, 'close');
    const started = Date.now();
    await forwards.deleteForward(ADMIN, 'web', forward.id);
    await closed;
    expect(Date.now() - started).toBeLessThan(CLOSE_WITHIN_MS);
    await expect(dial(forward.localPort)).rejects.toMatchObject({ code: 'ECONNREFUSED' });
    expect(listeners.connectionCount()).toBe(0);
  });

  it('closes them too when the container stops, and frees the port for the next forward', async () => {
    const forward = await forwardTo(echo);
    const socket = await dial(forward.localPort);
    const closed = once(socket, 'close');
    runtime.stop(CONTAINER);
    await forwards.onContainerStopped(CONTAINER, 'died');
    await closed;
    await expect(dial(forward.localPort)).rejects.toMatchObject({ code: 'ECONNREFUSED' });
    runtime.start(CONTAINER);
    const again = await forwardTo(echo, 9000, forward.localPort);
    expect(again.localPort).toBe(forward.localPort);
  });

  it('closes the client connection at once when nothing listens on the container port', async () => {
    runtime.listen(CONTAINER, 9000, { host: '127.0.0.1', port: 1 });
    const forward = await forwards.createForward(ADMIN, 'web', { containerPort: 4444 });
    const socket = await dial(forward.localPort);
    await once(socket, 'close');
  });
});

async function startServer(onConnection: (socket: Socket) => void): Promise<{ address: { host: string; port: number }; close(): Promise<void> }> {
  const server: Server = createServer({ allowHalfOpen: true }, onConnection);
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return {
    address: { host: '127.0.0.1', port: (server.address() as AddressInfo).port },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

async function waitFor(condition: () => boolean): Promise<void> {
  const deadline = Date.now() + WAIT_MS;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
