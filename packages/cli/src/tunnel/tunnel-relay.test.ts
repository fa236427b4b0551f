import { createHash, randomBytes } from 'node:crypto';
import { ExitCode } from '../cli-error';
import { freshConfigHome, removeConfigHomes, listeningPort, startCli, type CliRun } from '../testing/cli-harness';
import { localClient } from '../testing/local-client';
import { startPlainTunnelServer, type PlainTunnelServer } from '../testing/plain-tunnel-server';
import { ADMIN_TOKEN, startTcpServer, startTestPorthole, waitUntil } from '../testing/test-porthole';
import { MAX_MESSAGE_BYTES } from './tunnel-relay';

afterAll(removeConfigHomes);

jest.setTimeout(30_000);

// Far more than every buffer on the way (ours, the kernel's): without backpressure all of
// it would pile up in the CLI's memory at once.
const TOTAL = 64 * 1024 * 1024;
const CHUNK = randomBytes(64 * 1024);
const expectedHash = (() => {
  const hash = createHash('sha256');
  for (let sent = 0; sent < TOTAL; sent += CHUNK.length) hash.update(CHUNK);
  return hash.digest('hex');
})();

let server: PlainTunnelServer;
const runs: CliRun[] = [];

beforeEach(async () => {
  server = await startPlainTunnelServer();
});

afterEach(async () => {
  for (const run of runs.splice(0)) {
    run.interrupt();
    await run.exited;
  }
  await server.close();
});

function connect(target: string, tunnel: { pingIntervalMs?: number } = {}, env: Record<string, string> = {}): CliRun {
  const run = startCli(['connect', target], { env: { PORTHOLE_TOKEN: ADMIN_TOKEN, XDG_CONFIG_HOME: freshConfigHome(), ...env }, tunnel });
  runs.push(run);
  return run;
}

/** Resolves once `read()` has not changed for `quietMs` (the flow stalled). */
async function settled(read: () => number, quietMs = 500): Promise<number> {
  let last = read();
  let since = Date.now();
  while (Date.now() - since < quietMs) {
    await new Promise((resolve) => setTimeout(resolve, 50));
    if (read() !== last) {
      last = read();
      since = Date.now();
    }
  }
  return last;
}

describe('the tunnel relay', () => {
  it(`cuts large writes into messages of at most ${MAX_MESSAGE_BYTES} bytes (the server takes up to 1 MiB)`, async () => {
    const client = await localClient(await listeningPort(connect(server.url)));
    const connection = await server.nextConnection();
    const payload = randomBytes(4 * 1024 * 1024 + 5);
    client.socket.write(payload);
    await waitUntil(() => connection.received() === payload.length, 10_000, 'every byte');
    expect(Math.max(...connection.messages.map((m) => m.length))).toBeLessThanOrEqual(MAX_MESSAGE_BYTES);
    expect(Buffer.concat(connection.messages).equals(payload)).toBe(true);
  });

  it('stops reading the local client while the server does not read, and loses nothing', async () => {
    const client = await localClient(await listeningPort(connect(server.url)));
    const connection = await server.nextConnection();
    connection.ws.pause();
    let written = 0;
    const pump = () => {
      while (written < TOTAL) {
        written += CHUNK.length;
        if (!client.socket.write(CHUNK)) {
          client.socket.once('drain', pump);
          return;
        }
      }
    };
    pump();
    expect(await settled(() => written)).toBeLessThan(TOTAL / 2);
    connection.ws.resume();
    await waitUntil(() => connection.received() >= TOTAL, 20_000, 'every byte');
    const hash = createHash('sha256');
    for (const message of connection.messages) hash.update(message);
    expect(hash.digest('hex')).toBe(expectedHash);
  });

  it('stops reading the server while the local client does not read, and loses nothing', async () => {
    const client = await localClient(await listeningPort(connect(server.url)));
    const connection = await server.nextConnection();
    client.socket.pause();
    let sent = 0;
    const pump = () => {
      // Only as fast as the CLI takes it: ws calls back once a message reached the socket.
      while (sent < TOTAL && connection.ws.bufferedAmount < 1024 * 1024) {
        sent += CHUNK.length;
        connection.ws.send(CHUNK, () => setImmediate(pump));
      }
    };
    pump();
    expect(await settled(() => sent)).toBeLessThan(TOTAL / 2);
    client.socket.resume();
    const received = await client.waitFor(TOTAL, 20_000);
    expect(createHash('sha256').update(received).digest('hex')).toBe(expectedHash);
  });

  it('cuts a tunnel whose server stops answering pings, and says so', async () => {
    const run = connect(server.url, { pingIntervalMs: 50 });
    const client = await localClient(await listeningPort(run));
    const connection = await server.nextConnection();
    connection.ws.pause(); // reads nothing, so answers no ping
    await client.ended;
    await waitUntil(() => run.stderr() !== '', 5_000, 'the line');
    expect(run.stderr()).toBe('porthole: tunnel lost: the server stopped answering pings\n');
  });
});

describe('keeping a quiet tunnel alive', () => {
  // The server closes a tunnel with no data and no client ping for its idle timeout.
  it.each([
    ['pings keep it open past the idle timeout', 100, false],
    ['without pings, the server closes it with 4000', 0, true],
  ])('%s', async (_description, pingIntervalMs, closes) => {
    const porthole = await startTestPorthole({ limits: { tunnelIdleTimeoutMs: 500 } });
    const app = await startTcpServer();
    try {
      const forward = await porthole.forward(app.address);
      const run = connect(forward.id, { pingIntervalMs }, { PORTHOLE_URL: porthole.origin });
      const client = await localClient(await listeningPort(run));
      client.socket.write('a');
      await client.waitFor(1);
      const quiet = await Promise.race([client.ended.then(() => 'ended'), new Promise((r) => setTimeout(() => r('open'), 1_500))]);
      expect(quiet).toBe(closes ? 'ended' : 'open');
      if (closes) {
        expect(run.stderr()).toBe('porthole: tunnel closed by the server: 4000 idle timeout\n');
      } else {
        client.socket.write('b');
        expect((await client.waitFor(2)).toString()).toBe('ab');
      }
      run.interrupt();
      expect(await run.exited).toBe(ExitCode.ok);
    } finally {
      await porthole.close();
      await app.close();
    }
  });
});
