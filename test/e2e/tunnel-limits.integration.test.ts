import { createHash } from 'node:crypto';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { connect } from 'node:net';
import WebSocket from 'ws';
import { ByteMeter, MiB } from '../../packages/http-api/src/tunnel/testing/flow-meter';
import { describeDocker, freePort, removeTestContainers, startFixtureContainer, type FixtureContainer } from '../support/docker';
import { E2E_TOKEN, startTestPorthole, type TestPorthole } from '../support/porthole';
import { startServer, type ServerProcess } from '../support/server-process';
import { TIMEOUTS, waitFor } from '../support/timeouts';

// test/fixtures/bulk.js: its pattern (byte i = i % 251 within each 64 KiB block), and
// the port it listens on in the container.
const BLOCK = Buffer.from(Array.from({ length: 64 * 1024 }, (_, i) => i % 251));
const BULK_PORT = 9100;
const RATE = 2 * MiB;
const IDLE_MS = 1000;
const LONG_TEST_MS = 180_000;

/** sha256 of the first `total` bytes of bulk.js's pattern. */
function patternHash(total: number): string {
  const hash = createHash('sha256');
  for (let done = 0; done < total; done += BLOCK.length) hash.update(BLOCK.subarray(0, Math.min(BLOCK.length, total - done)));
  return hash.digest('hex');
}

/** Resident memory of a process, from /proc (Linux). */
function rssOf(pid: number): number {
  const kib = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
  if (kib === undefined) throw new Error(`no VmRSS for ${pid}`);
  return Number(kib) * 1024;
}

/**
 * Opens a tunnel that hands each message to `onMessage` and keeps none of them (the
 * support helper keeps every message, which would be 512 MiB here).
 */
async function openTunnel(url: string, onMessage: (data: Buffer) => void): Promise<{ ws: WebSocket; closed: Promise<{ code: number; reason: string }> }> {
  const ws = new WebSocket(url, ['Bearer', E2E_TOKEN]);
  // Listening from the start: the first frames can come with the handshake reply.
  ws.on('message', onMessage);
  const closed = new Promise<{ code: number; reason: string }>((resolve) =>
    ws.once('close', (code, reason) => resolve({ code, reason: reason.toString() })),
  );
  await new Promise((resolve, reject) => {
    ws.once('open', resolve);
    ws.once('error', reject);
  });
  return { ws, closed };
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

describeDocker('tunnel limits against a real container', () => {
  let bulk: FixtureContainer;

  beforeAll(async () => {
    bulk = await startFixtureContainer({ command: ['node', '/app/bulk.js'], env: { PORT: String(BULK_PORT) }, waitForPorts: [BULK_PORT] });
  }, TIMEOUTS.engineHook);

  afterAll(() => removeTestContainers(), TIMEOUTS.engineHook);

  describe('backpressure of tunnels and host ports, with Porthole in a process of its own (RSS from /proc)', () => {
    // "At least a few hundred MB", far beyond every buffer on the way.
    const TOTAL = 512 * MiB;
    const MEMORY_BOUND = 64 * MiB;
    const STALL_MS = 3000;
    let server: ServerProcess;
    let baseline: number;

    let websocketUrl: string;
    let localPort: number;

    // One forward, a fresh tunnel (one TCP connection to the container) per use.
    const tunnel = (onMessage: (data: Buffer) => void = () => undefined) => openTunnel(websocketUrl, onMessage);

    /** Highest RSS growth over the baseline while `work` runs. */
    async function peakGrowth(work: () => Promise<void>): Promise<number> {
      const pid = server.child.pid as number;
      let peak = rssOf(pid);
      const sampler = setInterval(() => (peak = Math.max(peak, rssOf(pid))), 25);
      try {
        await work();
      } finally {
        clearInterval(sampler);
      }
      return peak - baseline;
    }

    beforeAll(async () => {
      const first = await freePort();
      server = await startServer({
        PORTHOLE_ADMIN_TOKEN: E2E_TOKEN,
        PORTHOLE_TUNNEL_BYTES_PER_SECOND: '0',
        PORTHOLE_LOCAL_PORTS: `${first}-${first + 20}`,
      });
      const created = await fetch(`${server.url}/api/containers/${bulk.id}/port-forwards`, {
        method: 'POST',
        headers: { authorization: `Bearer ${E2E_TOKEN}`, 'content-type': 'application/json' },
        body: JSON.stringify({ container_port: BULK_PORT }),
      });
      expect(created.status).toBe(201);
      const forward = (await created.json()) as { websocket_url: string; local_port: number };
      websocketUrl = forward.websocket_url;
      localPort = forward.local_port;
      // Warm up (code paths compiled, heap sized) with 64 MiB, then take the baseline.
      const warm = await tunnel();
      warm.ws.send('send 67108864\n');
      await warm.closed;
      await new Promise((resolve) => setTimeout(resolve, 500));
      baseline = rssOf(server.child.pid as number);
    }, TIMEOUTS.engineHook);

    afterAll(async () => {
      server?.child.kill('SIGTERM');
      await server?.exited;
    });

    it('a client that stops reading while the container sends 512 MiB: RSS grows < 64 MiB, then every byte arrives', async () => {
      const hash = createHash('sha256');
      let received = 0;
      const { ws, closed } = await tunnel((data) => {
        received += data.length;
        hash.update(data);
      });
      ws.send(`send ${TOTAL}\n`);
      const growth = await peakGrowth(async () => {
        // Without backpressure, Porthole would now read all 512 MiB and hold them.
        ws.pause();
        await new Promise((resolve) => setTimeout(resolve, STALL_MS));
        ws.resume();
        expect(await closed).toEqual({ code: 1000, reason: 'upstream closed' });
      });
      expect(growth).toBeLessThan(MEMORY_BOUND);
      expect(received).toBe(TOTAL);
      expect(hash.digest('hex')).toBe(patternHash(TOTAL));
    }, LONG_TEST_MS);

    it('a container that stops reading while the client sends 512 MiB: RSS grows < 64 MiB, then every byte arrives', async () => {
      let answer = '';
      const { ws, closed } = await tunnel((data) => (answer += data.toString()));
      ws.send(`recv ${TOTAL} ${STALL_MS}\n`);
      let sent = 0;
      let accepted = 0;
      const sendNext = (): void => {
        if (sent >= TOTAL || ws.readyState !== WebSocket.OPEN) return;
        const piece = BLOCK.subarray(0, Math.min(BLOCK.length, TOTAL - sent));
        sent += piece.length;
        ws.send(piece, (error) => {
          if (error === undefined || error === null) accepted += piece.length;
          sendNext();
        });
      };
      const growth = await peakGrowth(async () => {
        for (let i = 0; i < 4; i += 1) sendNext();
        await new Promise((resolve) => setTimeout(resolve, STALL_MS - 500));
        // The client is held back: its sends stopped being taken well before the end.
        expect(accepted).toBeLessThan(TOTAL / 8);
        expect(await closed).toEqual({ code: 1000, reason: 'upstream closed' });
      });
      expect(growth).toBeLessThan(MEMORY_BOUND);
      expect(answer.trim()).toBe(patternHash(TOTAL));
    }, LONG_TEST_MS);
    it('a host-port client that stops reading while the container sends 512 MiB: RSS grows < 64 MiB, then every byte arrives', async () => {
      const socket = connect(localPort, '127.0.0.1');
      await once(socket, 'connect');
      socket.pause();
      const hash = createHash('sha256');
      let received = 0;
      socket.on('data', (chunk: Buffer) => {
        received += chunk.length;
        hash.update(chunk);
      });
      const growth = await peakGrowth(async () => {
        socket.write(`send ${TOTAL}\n`);
        await new Promise((resolve) => setTimeout(resolve, STALL_MS));
        socket.resume();
        await once(socket, 'end');
      });
      socket.destroy();
      expect(growth).toBeLessThan(MEMORY_BOUND);
      expect(received).toBe(TOTAL);
      expect(hash.digest('hex')).toBe(patternHash(TOTAL));
    }, LONG_TEST_MS);
  });

  describe('rate and idle timeout, configured by environment', () => {
    let porthole: TestPorthole;
    let websocketUrl: string;

    beforeAll(async () => {
      porthole = await startTestPorthole({
        PORTHOLE_TUNNEL_BYTES_PER_SECOND: String(RATE),
        PORTHOLE_TUNNEL_IDLE_TIMEOUT_MS: String(IDLE_MS),
      });
      const created = await porthole.api('POST', `/api/containers/${bulk.id}/port-forwards`, { container_port: BULK_PORT });
      expect(created.status).toBe(201);
      websocketUrl = created.json.websocket_url as string;
    }, TIMEOUTS.engineHook);

    afterAll(() => porthole?.close());

    const tunnel = (onMessage: (data: Buffer) => void = () => undefined) => openTunnel(websocketUrl, onMessage);

    it('downloads at 2 MiB/s ±10 % over 3 s (measured by the client)', async () => {
      const meter = new ByteMeter();
      const { ws } = await tunnel((data) => meter.add(data.length));
      ws.send(`send ${64 * MiB}\n`);
      const first = await meter.runFor(3500, 10_000);
      ws.terminate();
      const steady = meter.rate(first + 500, 3000) / RATE;
      expect(steady).toBeGreaterThanOrEqual(0.9);
      expect(steady).toBeLessThanOrEqual(1.1);
      expect(meter.rate(first, 3000) / RATE).toBeLessThanOrEqual(1.1);
    }, TIMEOUTS.engineTest);

    it('uploads at 2 MiB/s ±10 % over 3 s (measured by the container)', async () => {
      // The container reports its running total every 100 ms: (arrival time, total).
      const reports: { at: number; total: number }[] = [];
      let partial = '';
      const { ws } = await tunnel((data) => {
        partial += data.toString();
        const lines = partial.split('\n');
        partial = lines.pop() ?? '';
        for (const line of lines) reports.push({ at: performance.now(), total: Number(line) });
      });
      ws.send('count\n');
      let running = true;
      const sendNext = (): void => {
        if (running && ws.readyState === WebSocket.OPEN) ws.send(BLOCK, () => sendNext());
      };
      for (let i = 0; i < 4; i += 1) sendNext();
      const first = await waitFor('the first bytes at the container', () => reports.find((r) => r.total > 0)?.at, 10_000);
      await waitFor('3.5 s of reports', () => (reports.at(-1)!.at >= first + 3600 ? true : undefined), 10_000);
      running = false;
      ws.terminate();
      const from = reports.find((r) => r.at >= first + 500)!;
      const to = reports.filter((r) => r.at <= from.at + 3000).at(-1)!;
      const steady = ((to.total - from.total) * 1000) / (to.at - from.at) / RATE;
      expect(to.at - from.at).toBeGreaterThanOrEqual(2800);
      expect(steady).toBeGreaterThanOrEqual(0.9);
      expect(steady).toBeLessThanOrEqual(1.1);
    }, TIMEOUTS.engineTest);

    it('closes a silent tunnel with 4000 "idle timeout" after 1 s, and the container sees a FIN', async () => {
      const { ws, closed } = await tunnel();
      const name = `idle-${Date.now()}`;
      ws.send(`hold ${name}\n`);
      const lastData = Date.now();
      expect(await closed).toEqual({ code: 4000, reason: 'idle timeout' });
      const after = Date.now() - lastData;
      expect(after).toBeGreaterThanOrEqual(IDLE_MS - 50);
      expect(after).toBeLessThan(IDLE_MS + 1000);
      await waitFor('the container to see the FIN', async () => ((await askEnded(bulk, name)) ? true : undefined), TIMEOUTS.lifecycleEvent, 100);
    }, TIMEOUTS.engineTest);
  });
});
