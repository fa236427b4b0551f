import { once } from 'node:events';
import { connect, type Socket } from 'node:net';
import { ByteMeter, MiB } from '../../packages/http-api/src/tunnel/testing/flow-meter';
import { describeDocker, freePort, removeTestContainers, startFixtureContainer, type FixtureContainer } from '../support/docker';
import { startTestPorthole, type TestPorthole } from '../support/porthole';
import { TIMEOUTS, waitFor } from '../support/timeouts';

// Host ports take the tunnel's limits from the same variables; test/fixtures/bulk.js is
// the app (port 9100, byte i = i % 251 within each 64 KiB block).
const BULK_PORT = 9100;
const BLOCK = Buffer.from(Array.from({ length: 64 * 1024 }, (_, i) => i % 251));
const RATE = 2 * MiB;
const IDLE_MS = 1000;

async function dial(port: number): Promise<Socket> {
  const socket = connect({ port, host: '127.0.0.1', allowHalfOpen: true });
  await once(socket, 'connect');
  return socket;
}

/** Asks bulk.js, on a direct connection, whether its `hold NAME` connection saw a FIN. */
function askEnded(container: FixtureContainer, name: string): Promise<boolean> {
  return new Promise((resolve, reject) => {
    const socket = connect(BULK_PORT, container.address);
    let answer = '';
    socket.on('data', (chunk: Buffer) => (answer += chunk.toString()));
    socket.on('end', () => resolve((JSON.parse(answer) as { ended: boolean }).ended));
    socket.on('error', reject);
    socket.write(`ask ${name}\n`);
  });
}

describeDocker('host port limits against a real container', () => {
  let bulk: FixtureContainer;
  let porthole: TestPorthole;
  let localPort: number;
  const open: Socket[] = [];

  beforeAll(async () => {
    bulk = await startFixtureContainer({ command: ['node', '/app/bulk.js'], env: { PORT: String(BULK_PORT) }, waitForPorts: [BULK_PORT] });
    const first = await freePort();
    porthole = await startTestPorthole({
      PORTHOLE_LOCAL_PORTS: `${first}-${first + 20}`,
      PORTHOLE_TUNNEL_BYTES_PER_SECOND: String(RATE),
      PORTHOLE_TUNNEL_IDLE_TIMEOUT_MS: String(IDLE_MS),
    });
    const created = await porthole.api('POST', `/api/containers/${bulk.id}/port-forwards`, { container_port: BULK_PORT });
    expect(created.status).toBe(201);
    localPort = created.json.local_port as number;
  }, TIMEOUTS.engineHook);

  afterEach(() => {
    for (const socket of open.splice(0)) socket.destroy();
  });

  afterAll(async () => {
    await porthole?.close();
    await removeTestContainers();
  }, TIMEOUTS.engineHook);

  it('downloads at 2 MiB/s ±10 % over 3 s (measured by the client)', async () => {
    const socket = await dial(localPort);
    open.push(socket);
    const meter = new ByteMeter();
    socket.on('data', (chunk: Buffer) => meter.add(chunk.length));
    socket.write(`send ${64 * MiB}\n`);
    const first = await meter.runFor(3500, 10_000);
    const steady = meter.rate(first + 500, 3000) / RATE;
    expect(steady).toBeGreaterThanOrEqual(0.9);
    expect(steady).toBeLessThanOrEqual(1.1);
    expect(meter.rate(first, 3000) / RATE).toBeLessThanOrEqual(1.1);
  }, TIMEOUTS.engineTest);

  it('uploads at 2 MiB/s ±10 % over 3 s (measured by the container)', async () => {
    const socket = await dial(localPort);
    open.push(socket);
    // The container reports its running total every 100 ms: (arrival time, total).
    const reports: { at: number; total: number }[] = [];
    let partial = '';
    socket.on('data', (chunk: Buffer) => {
      partial += chunk.toString();
      const lines = partial.split('\n');
      partial = lines.pop() ?? '';
      for (const line of lines) reports.push({ at: performance.now(), total: Number(line) });
    });
    socket.write('count\n');
    let running = true;
    const pump = (): void => {
      while (running && !socket.destroyed) if (!socket.write(BLOCK)) return void socket.once('drain', pump);
    };
    pump();
    const first = await waitFor('the first bytes at the container', () => reports.find((r) => r.total > 0)?.at, 10_000);
    await waitFor('3.5 s of reports', () => (reports.at(-1)!.at >= first + 3600 ? true : undefined), 10_000);
    running = false;
    const from = reports.find((r) => r.at >= first + 500)!;
    const to = reports.filter((r) => r.at <= from.at + 3000).at(-1)!;
    const steady = ((to.total - from.total) * 1000) / (to.at - from.at) / RATE;
    expect(to.at - from.at).toBeGreaterThanOrEqual(2800);
    expect(steady).toBeGreaterThanOrEqual(0.9);
    expect(steady).toBeLessThanOrEqual(1.1);
  }, TIMEOUTS.engineTest);

  it('ends a silent connection after 1 s with a FIN to both sides', async () => {
    const socket = await dial(localPort);
    open.push(socket);
    socket.resume();
    const name = `idle-${Date.now()}`;
    socket.write(`hold ${name}\n`);
    const lastData = Date.now();
    await once(socket, 'end');
    const after = Date.now() - lastData;
    expect(after).toBeGreaterThanOrEqual(IDLE_MS - 50);
    expect(after).toBeLessThan(IDLE_MS + 1000);
    await waitFor('the container to see the FIN', async () => ((await askEnded(bulk, name)) ? true : undefined), TIMEOUTS.lifecycleEvent, 100);
    // The app answered the FIN with its own, so the connection closes once the client ends too.
    const closed = once(socket, 'close');
    socket.end();
    await closed;
  }, TIMEOUTS.engineTest);
});
