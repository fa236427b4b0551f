import { createHash } from 'node:crypto';
import { once } from 'node:events';
import { createServer, request, type ClientRequest, type IncomingMessage, type RequestListener, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import WebSocket, { WebSocketServer } from 'ws';
import { waitUntil } from '../testing/fixtures';
import { ADMIN_TOKEN, startTestPorthole, type TestPorthole } from '../testing/porthole-test-server';

// Issue 3, "Backpressure everywhere": a reader that stops (the client, or the app) must
// not grow Porthole's memory by more than 64 MB, and the transfer completes intact once it
// reads again. App, Porthole and client share this process, so the memory figures bound
// Porthole's share from above (a server process of its own is measured in
// test/e2e/proxy-backpressure.integration.test.ts); the bytes the writer could hand off
// while the reader stalled bound every buffer between them, kernel buffers included.

const MiB = 1024 * 1024;
/** Requirement (issue 3). */
const MEMORY_BOUND = 64 * MiB;
/** How long the reader reads nothing. */
const STALL_MS = 3_000;
const HTTP_TOTAL = 1024 * MiB;
/** WebSocket clients mask every byte in JavaScript (no bufferutil here): kept smaller. */
const WS_TOTAL = 256 * MiB;
/** Moving 1 GB twice through one process on a busy 2-core machine, plus the stall. */
const TRANSFER_TEST_MS = 90_000;

const auth = { authorization: `Bearer ${ADMIN_TOKEN}` };

/**
 * The block every writer sends over and over, so that sending allocates nothing. Its
 * length and pattern do not line up with socket reads (64 KiB), so a lost, repeated or
 * reordered read changes the hash.
 */
const BLOCK = Buffer.alloc(MiB + 7);
for (let i = 0; i < BLOCK.length; i += 1) BLOCK[i] = i % 251;

function blocksOf(total: number): number {
  return Math.ceil(total / BLOCK.length);
}

/** sha256 of what a writer sends for `total` (whole blocks). */
function expectedSha256(total: number): string {
  const hash = createHash('sha256');
  for (let i = 0; i < blocksOf(total); i += 1) hash.update(BLOCK);
  return hash.digest('hex');
}

/** Writes whole blocks for `total` bytes, waiting for 'drain' whenever the stream is full. */
function pump(stream: ServerResponse | ClientRequest, total: number, onWrite: (bytes: number) => void): Promise<void> {
  return new Promise((resolve) => {
    let left = blocksOf(total);
    const next = (): void => {
      while (left > 0) {
        left -= 1;
        onWrite(BLOCK.length);
        if (!stream.write(BLOCK)) {
          stream.once('drain', next);
          return;
        }
      }
      resolve();
    };
    next();
  });
}

/**
 * Samples this process's memory every 50 ms; `growth` is the largest rise over the first
 * sample, of the RSS and of what JavaScript holds (heap and Buffers). RSS alone can hide
 * growth: pages kept from an earlier transfer in this process are reused without showing.
 */
function sampleMemory(): { growth: () => number; stop: () => void } {
  const held = (usage: NodeJS.MemoryUsage): number => usage.heapUsed + usage.arrayBuffers;
  const first = process.memoryUsage();
  let rss = first.rss;
  let js = held(first);
  const sample = (): void => {
    const usage = process.memoryUsage();
    rss = Math.max(rss, usage.rss);
    js = Math.max(js, held(usage));
  };
  const timer = setInterval(sample, 50);
  return {
    growth: () => {
      sample();
      return Math.max(rss - first.rss, js - held(first));
    },
    stop: () => clearInterval(timer),
  };
}

async function startApp(handler: RequestListener): Promise<{ address: { host: string; port: number }; close(): Promise<void> }> {
  const server = createServer(handler);
  const sockets = new Set<Socket>();
  server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return {
    address: { host: '127.0.0.1', port: (server.address() as AddressInfo).port },
    close: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

let porthole: TestPorthole;
const cleanups: (() => Promise<void> | void)[] = [];

beforeEach(async () => {
  // The body cap (100 MB by default) would refuse these transfers: raised past them.
  porthole = await startTestPorthole({ limits: { proxyMaxBytes: 2 * HTTP_TOTAL } });
});

afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  await porthole.close();
  expect(porthole.logger.messages('error')).toEqual([]);
});

describe('ForwardProxy: backpressure on proxied HTTP bodies', () => {
  it('holds a 1 GB download while the client reads nothing for 3 s (< 64 MB in flight and of RSS growth), then delivers it intact', async () => {
    let written = 0;
    const app = await startApp((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': blocksOf(HTTP_TOTAL) * BLOCK.length });
      void pump(res, HTTP_TOTAL, (bytes) => (written += bytes)).then(() => res.end());
    });
    cleanups.push(() => app.close());
    const forward = await porthole.forward(app.address);
    const expected = expectedSha256(HTTP_TOTAL);

    const memory = sampleMemory();
    cleanups.push(() => memory.stop());
    const req = request({ host: '127.0.0.1', port: porthole.port, path: `/p/${forward.id}/download`, headers: auth, agent: false });
    req.end();
    // No 'data' listener: the response stays paused, and so does our client's socket.
    const [response] = (await once(req, 'response')) as [IncomingMessage];
    await sleep(STALL_MS);
    expect(written).toBeLessThan(MEMORY_BOUND);
    expect(memory.growth()).toBeLessThan(MEMORY_BOUND);

    const hash = createHash('sha256');
    let received = 0;
    response.on('data', (chunk: Buffer) => {
      received += chunk.length;
      hash.update(chunk);
    });
    await once(response, 'end');
    expect(received).toBe(blocksOf(HTTP_TOTAL) * BLOCK.length);
    expect(hash.digest('hex')).toBe(expected);
  }, TRANSFER_TEST_MS);

  it('holds a 1 GB upload while the app reads nothing for 3 s (< 64 MB in flight and of RSS growth), then the app gets it intact', async () => {
    let startReading: () => void = () => undefined;
    const reading = new Promise<void>((resolve) => (startReading = resolve));
    const app = await startApp((req, res) => {
      void reading.then(() => {
        const hash = createHash('sha256');
        let bytes = 0;
        req.on('data', (chunk: Buffer) => {
          bytes += chunk.length;
          hash.update(chunk);
        });
        req.on('end', () => res.end(JSON.stringify({ bytes, sha256: hash.digest('hex') })));
      });
    });
    cleanups.push(() => app.close());
    const forward = await porthole.forward(app.address);
    const expected = expectedSha256(HTTP_TOTAL);

    const memory = sampleMemory();
    cleanups.push(() => memory.stop());
    let written = 0;
    const req = request({
      host: '127.0.0.1',
      port: porthole.port,
      path: `/p/${forward.id}/upload`,
      method: 'PUT',
      headers: { ...auth, 'content-length': blocksOf(HTTP_TOTAL) * BLOCK.length },
      agent: false,
    });
    const answered = once(req, 'response') as Promise<[IncomingMessage]>;
    void pump(req, HTTP_TOTAL, (bytes) => (written += bytes)).then(() => req.end());
    await sleep(STALL_MS);
    expect(written).toBeLessThan(MEMORY_BOUND);
    expect(memory.growth()).toBeLessThan(MEMORY_BOUND);

    startReading();
    const [response] = await answered;
    let text = '';
    for await (const chunk of response) text += String(chunk);
    expect(JSON.parse(text)).toEqual({ bytes: blocksOf(HTTP_TOTAL) * BLOCK.length, sha256: expected });
  }, TRANSFER_TEST_MS);
});

describe('ForwardProxy: backpressure on proxied WebSockets (http-proxy pipes the raw sockets)', () => {
  /** A WebSocket app: `/down` sends WS_TOTAL bytes one message at a time; `/up` reads only once `reading` resolves. */
  async function startWsApp(reading: Promise<void>) {
    const server = createServer();
    const wss = new WebSocketServer({ server });
    const state = { sent: 0, received: 0, hash: createHash('sha256') };
    wss.on('connection', (ws, req) => {
      ws.on('error', () => undefined);
      if (req.url === '/down') {
        let left = blocksOf(WS_TOTAL);
        // One message in flight at a time: the callback comes once it is in the kernel.
        // ws calls back with null on success.
        const next = (error?: Error | null): void => {
          if ((error ?? undefined) !== undefined || left === 0) return;
          left -= 1;
          state.sent += BLOCK.length;
          ws.send(BLOCK, { binary: true }, next);
        };
        next();
        return;
      }
      ws.pause();
      ws.on('message', (data: Buffer) => {
        state.received += data.length;
        state.hash.update(data);
      });
      void reading.then(() => ws.resume());
    });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    cleanups.push(async () => {
      for (const client of wss.clients) client.terminate();
      wss.close();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    });
    return { address: { host: '127.0.0.1', port: (server.address() as AddressInfo).port }, state };
  }

  function open(path: string): Promise<WebSocket> {
    const ws = new WebSocket(`${porthole.wsOrigin}${path}`, { headers: auth, perMessageDeflate: false });
    ws.on('error', () => undefined);
    cleanups.push(() => ws.terminate());
    return once(ws, 'open').then(() => ws);
  }

  it('holds the app sending 256 MB while the client reads nothing for 3 s, then delivers it intact', async () => {
    const app = await startWsApp(Promise.resolve());
    const forward = await porthole.forward(app.address);
    const expected = expectedSha256(WS_TOTAL);
    const memory = sampleMemory();
    cleanups.push(() => memory.stop());

    const ws = new WebSocket(`${porthole.wsOrigin}/p/${forward.id}/down`, { headers: auth, perMessageDeflate: false });
    cleanups.push(() => ws.terminate());
    ws.on('error', () => undefined);
    const hash = createHash('sha256');
    let received = 0;
    ws.on('message', (data: Buffer) => {
      received += data.length;
      hash.update(data);
    });
    // Paused as soon as it opens: what arrived before stays counted, nothing more is read.
    ws.once('open', () => ws.pause());
    await sleep(STALL_MS);
    expect(app.state.sent - received).toBeLessThan(MEMORY_BOUND);
    expect(memory.growth()).toBeLessThan(MEMORY_BOUND);

    ws.resume();
    await waitUntil(() => received >= blocksOf(WS_TOTAL) * BLOCK.length, TRANSFER_TEST_MS / 3, 'every message');
    expect(received).toBe(blocksOf(WS_TOTAL) * BLOCK.length);
    expect(hash.digest('hex')).toBe(expected);
  }, TRANSFER_TEST_MS);

  it('holds the client sending 256 MB while the app reads nothing for 3 s, then the app gets it intact', async () => {
    let startReading: () => void = () => undefined;
    const app = await startWsApp(new Promise<void>((resolve) => (startReading = resolve)));
    const forward = await porthole.forward(app.address);
    const expected = expectedSha256(WS_TOTAL);
    const memory = sampleMemory();
    cleanups.push(() => memory.stop());

    const ws = await open(`/p/${forward.id}/up`);
    let sent = 0;
    let left = blocksOf(WS_TOTAL);
    const next = (error?: Error | null): void => {
      if ((error ?? undefined) !== undefined || left === 0) return;
      left -= 1;
      sent += BLOCK.length;
      ws.send(BLOCK, { binary: true }, next);
    };
    next();
    await sleep(STALL_MS);
    expect(sent - app.state.received).toBeLessThan(MEMORY_BOUND);
    expect(memory.growth()).toBeLessThan(MEMORY_BOUND);

    startReading();
    await waitUntil(() => app.state.received >= blocksOf(WS_TOTAL) * BLOCK.length, TRANSFER_TEST_MS / 3, 'every message at the app');
    expect(app.state.received).toBe(blocksOf(WS_TOTAL) * BLOCK.length);
    expect(app.state.hash.digest('hex')).toBe(expected);
  }, TRANSFER_TEST_MS);
});
