import { createHash } from 'node:crypto';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { request, type IncomingMessage } from 'node:http';
import WebSocket from 'ws';
import { describeDocker, removeTestContainers, startFixtureContainer, type FixtureContainer } from '../support/docker';
import { startServer, type ServerProcess } from '../support/server-process';
import { TIMEOUTS, sleep, waitFor } from '../support/timeouts';

// Issue 3, "Backpressure everywhere", measured on the real server process: a reader that
// stops while 1 GB is on its way must not grow Porthole's memory by more than 64 MB, and
// the transfer completes intact once it reads again. Porthole runs alone in its process
// (apps/server/dist/main.js), so its RSS is its own; the app is the fixture container.

const MiB = 1024 * 1024;
/** Requirement (issue 3). */
const MEMORY_BOUND = 64 * MiB;
/** How long the reader reads nothing. */
const STALL_MS = 3_000;
const HTTP_TOTAL = 1024 * MiB;
/** WebSocket clients mask every byte in JavaScript: kept smaller. */
const WS_TOTAL = 256 * MiB;
/** 1 GB through the engine's bridge and Porthole, the stall, and hashing it here. */
const TRANSFER_TEST_MS = 120_000;
const TOKEN = 'backpressure-test-token-0123456789';
const auth = { authorization: `Bearer ${TOKEN}` };

/** The 64 KiB block of http-echo's /bytes (and ws-echo's /flood): byte i is i % 251. */
const BLOCK = Buffer.alloc(64 * 1024);
for (let i = 0; i < BLOCK.length; i += 1) BLOCK[i] = i % 251;

function patternSha256(total: number): string {
  const hash = createHash('sha256');
  for (let i = 0; i < total / BLOCK.length; i += 1) hash.update(BLOCK);
  return hash.digest('hex');
}

/** Resident memory of a process (Linux /proc), in bytes. */
function rssOf(pid: number): number {
  const kib = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
  if (kib === undefined) throw new Error(`no VmRSS for process ${pid}`);
  return Number(kib) * 1024;
}

/** Samples the RSS of `pid` every 50 ms; `growth` is the largest rise over the first sample. */
function sampleRss(pid: number): { growth: () => number; stop: () => void } {
  const baseline = rssOf(pid);
  let peak = baseline;
  const timer = setInterval(() => (peak = Math.max(peak, rssOf(pid))), 50);
  return {
    growth: () => Math.max(peak, rssOf(pid)) - baseline,
    stop: () => clearInterval(timer),
  };
}

describeDocker('backpressure through the Porthole server process against a real container', () => {
  let app: FixtureContainer;
  let server: ServerProcess;
  let forwardId: string;

  beforeAll(async () => {
    app = await startFixtureContainer({ websocket: true });
    // The body cap (100 MB by default) would refuse a 1 GB transfer.
    server = await startServer({ PORTHOLE_ADMIN_TOKEN: TOKEN, PORTHOLE_PROXY_MAX_BYTES: String(2 * HTTP_TOTAL) });
    const created = await fetch(`${server.url}/api/containers/${app.id}/port-forwards`, {
      method: 'POST',
      headers: { ...auth, 'content-type': 'application/json' },
      body: JSON.stringify({ container_port: app.httpPort }),
    });
    forwardId = ((await created.json()) as { id: string }).id;
    // Warm up: what the first requests allocate once is not what a stall costs.
    for (const path of ['/bytes?n=8388608', '/warm-up']) {
      const response = await fetch(`${server.url}/p/${forwardId}${path}`, { method: 'POST', headers: auth, body: Buffer.alloc(MiB) });
      await response.arrayBuffer();
    }
  }, TIMEOUTS.engineHook);

  afterAll(async () => {
    server?.child.kill('SIGTERM');
    await server?.exited;
    await removeTestContainers();
  }, TIMEOUTS.engineHook);

  it('holds a 1 GB download while the client reads nothing for 3 s: the server grows < 64 MB, then all of it arrives intact', async () => {
    const url = new URL(server.url);
    const memory = sampleRss(server.child.pid as number);
    try {
      const req = request({ host: url.hostname, port: url.port, path: `/p/${forwardId}/bytes?n=${HTTP_TOTAL}`, headers: auth, agent: false });
      req.end();
      // No 'data' listener yet: the response stays paused, and so does this socket.
      const [response] = (await once(req, 'response')) as [IncomingMessage];
      await sleep(STALL_MS);
      expect(memory.growth()).toBeLessThan(MEMORY_BOUND);

      const hash = createHash('sha256');
      let received = 0;
      response.on('data', (chunk: Buffer) => {
        received += chunk.length;
        hash.update(chunk);
      });
      await once(response, 'end');
      expect(received).toBe(HTTP_TOTAL);
      expect(hash.digest('hex')).toBe(patternSha256(HTTP_TOTAL));
    } finally {
      memory.stop();
    }
  }, TRANSFER_TEST_MS);

  it('holds a 1 GB upload while the app reads nothing for 4 s: the server grows < 64 MB, then the app gets all of it intact', async () => {
    const url = new URL(server.url);
    const memory = sampleRss(server.child.pid as number);
    try {
      let written = 0;
      const req = request({
        host: url.hostname,
        port: url.port,
        path: `/p/${forwardId}/read-later?ms=${STALL_MS + 1_000}`,
        method: 'PUT',
        headers: { ...auth, 'content-length': String(HTTP_TOTAL) },
        agent: false,
      });
      const answered = once(req, 'response') as Promise<[IncomingMessage]>;
      const pump = (): void => {
        while (written < HTTP_TOTAL) {
          written += BLOCK.length;
          if (!req.write(BLOCK)) {
            req.once('drain', pump);
            return;
          }
        }
        req.end();
      };
      pump();
      await sleep(STALL_MS);
      // What this client could hand off while the app read nothing: every buffer between.
      expect(written).toBeLessThan(MEMORY_BOUND);
      expect(memory.growth()).toBeLessThan(MEMORY_BOUND);

      const [response] = await answered;
      let text = '';
      for await (const chunk of response) text += String(chunk);
      const seen = JSON.parse(text) as { bodyLength: number; bodySha256: string };
      expect([response.statusCode, seen.bodyLength, seen.bodySha256]).toEqual([200, HTTP_TOTAL, patternSha256(HTTP_TOTAL)]);
    } finally {
      memory.stop();
    }
  }, TRANSFER_TEST_MS);

  it('holds a proxied WebSocket sending 256 MB while the client reads nothing for 3 s: the server grows < 64 MB, then all of it arrives intact', async () => {
    const memory = sampleRss(server.child.pid as number);
    const ws = new WebSocket(`${server.url.replace('http', 'ws')}/p/${forwardId}/flood?bytes=${WS_TOTAL}`, {
      headers: auth,
      perMessageDeflate: false,
    });
    try {
      ws.on('error', () => undefined);
      const hash = createHash('sha256');
      let received = 0;
      let hello = true;
      ws.on('message', (data: Buffer) => {
        // The first message is ws-echo's description of the handshake.
        if (hello) {
          hello = false;
          return;
        }
        received += data.length;
        hash.update(data);
      });
      await once(ws, 'open');
      ws.pause();
      await sleep(STALL_MS);
      expect(memory.growth()).toBeLessThan(MEMORY_BOUND);

      ws.resume();
      await waitFor('every message', () => (received >= WS_TOTAL ? true : undefined), TRANSFER_TEST_MS / 2, 50);
      expect(received).toBe(WS_TOTAL);
      expect(hash.digest('hex')).toBe(patternSha256(WS_TOTAL));
    } finally {
      memory.stop();
      ws.terminate();
    }
  }, TRANSFER_TEST_MS);
});
