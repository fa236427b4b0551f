import { EventEmitter, once } from 'node:events';
import { createServer, request, type IncomingMessage, type RequestListener, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import type { PortForward } from '@porthole/core';
import { nextEvent, startTcpServer, waitUntil } from '../testing/fixtures';
import { httpRequest, rawConnection } from '../testing/http-client';
import { ADMIN_TOKEN, startTestPorthole, type TestPorthole } from '../testing/porthole-test-server';
import { CLOSE_WITHIN_MS, TEST_TIMEOUT_MS, WAIT_MS } from '../testing/test-timeouts';

// Issue 3, "Streaming stays streaming", and the idle timeout of proxied exchanges
// (limits.proxyIdleTimeoutMs): a stream with gaps lives on, an exchange in which nothing
// moves is ended.

jest.setTimeout(TEST_TIMEOUT_MS);

/** Requirement (issue 3): each event reaches the client within a few hundred ms. */
const EVENT_WITHIN_MS = 300;
/** The idle timeout the idle tests configure, and how late its cut may come on a busy machine. */
const IDLE_MS = 1_000;
const IDLE_SLACK_MS = 1_000;
const auth = { authorization: `Bearer ${ADMIN_TOKEN}` };

interface App {
  readonly address: { host: string; port: number };
  /** 'aborted' (url) when a request's connection closed before its answer was sent. */
  readonly events: EventEmitter;
  close(): Promise<void>;
}

async function startApp(handler: RequestListener): Promise<App> {
  const events = new EventEmitter();
  const server = createServer((req, res) => {
    res.once('close', () => {
      if (!res.writableFinished) events.emit('aborted', req.url);
    });
    handler(req, res);
  });
  const sockets = new Set<Socket>();
  server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return {
    address: { host: '127.0.0.1', port: (server.address() as AddressInfo).port },
    events,
    close: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** Writes `pieces` with `gaps` (ms) between them, recording when each left the app, then ends. */
function writeSpaced(res: ServerResponse, pieces: readonly string[], gaps: readonly number[], sentAt: number[]): void {
  res.flushHeaders();
  const next = (i: number): void => {
    if (res.destroyed) return;
    if (i === pieces.length) {
      res.end();
      return;
    }
    sentAt.push(Date.now());
    res.write(pieces[i]);
    setTimeout(() => next(i + 1), gaps[i] ?? 0);
  };
  next(0);
}

/** Reads the answer, noting when each `separator`-terminated piece was complete. */
function readPieces(res: IncomingMessage, separator: string): Promise<{ pieces: string[]; arrivedAt: number[]; complete: boolean }> {
  return new Promise((resolve) => {
    const pieces: string[] = [];
    const arrivedAt: number[] = [];
    let buffered = '';
    res.setEncoding('utf8').on('data', (text: string) => {
      buffered += text;
      for (let end = buffered.indexOf(separator); end >= 0; end = buffered.indexOf(separator)) {
        pieces.push(buffered.slice(0, end + separator.length));
        arrivedAt.push(Date.now());
        buffered = buffered.slice(end + separator.length);
      }
    });
    res.once('end', () => resolve({ pieces, arrivedAt, complete: true }));
    res.once('aborted', () => resolve({ pieces, arrivedAt, complete: false }));
  });
}

function get(path: string, headers: Record<string, string> = {}): Promise<IncomingMessage> {
  const req = request({ host: '127.0.0.1', port: porthole.port, path, headers: { ...auth, ...headers }, agent: false });
  req.on('error', () => undefined);
  req.end();
  return once(req, 'response').then(([res]) => res as IncomingMessage);
}

let porthole: TestPorthole;
const cleanups: (() => Promise<void>)[] = [];

afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  await porthole.close();
  expect(porthole.logger.messages('error')).toEqual([]);
});

async function forwardTo(handler: RequestListener, limits: { proxyIdleTimeoutMs?: number } = {}): Promise<{ app: App; forward: PortForward }> {
  porthole = await startTestPorthole({ limits });
  const app = await startApp(handler);
  cleanups.push(() => app.close());
  return { app, forward: await porthole.forward(app.address) };
}

describe('ForwardProxy: streamed answers reach the client as the app produces them', () => {
  it.each([
    ['server-sent events', 'text/event-stream', (i: number) => `id: ${i}\ndata: event ${i}\n\n`, '\n\n'],
    ['a chunked answer', 'text/plain', (i: number) => `piece ${i}\n`, '\n'],
  ])('%s: each piece within 300 ms, uncompressed, nothing held back', async (_description, type, piece, separator) => {
    const sentAt: number[] = [];
    const pieces = Array.from({ length: 5 }, (_, i) => piece(i));
    const { forward } = await forwardTo((_req, res) => {
      res.writeHead(200, { 'content-type': type, 'cache-control': 'no-cache' });
      writeSpaced(res, pieces, [250, 250, 250, 250], sentAt);
    });
    const res = await get(`/p/${forward.id}/events`, { accept: type, 'accept-encoding': 'gzip, deflate, br' });
    const read = await readPieces(res, separator);
    expect(res.headers['content-type']).toBe(type);
    expect(res.headers['content-encoding']).toBeUndefined();
    expect(read).toMatchObject({ pieces, complete: true });
    // Buffered, later pieces would wait for the end (1 s after the first).
    expect(Math.max(...read.arrivedAt.map((at, i) => at - (sentAt[i] ?? 0)))).toBeLessThan(EVENT_WITHIN_MS);
  });

  it('keeps an event stream open across gaps of 3 s with the default limits (no timer of ours cuts it)', async () => {
    const sentAt: number[] = [];
    const events = ['data: one\n\n', 'data: two\n\n', 'data: three\n\n'];
    const { forward } = await forwardTo((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      writeSpaced(res, events, [3_000, 3_000], sentAt);
    });
    const read = await readPieces(await get(`/p/${forward.id}/gaps`), '\n\n');
    expect(read).toMatchObject({ pieces: events, complete: true });
    expect(Math.max(...read.arrivedAt.map((at, i) => at - (sentAt[i] ?? 0)))).toBeLessThan(EVENT_WITHIN_MS);
  });

  it('closes the request to the app within 1 s when the client leaves in the middle of a stream', async () => {
    const { app, forward } = await forwardTo((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      writeSpaced(res, Array.from({ length: 1000 }, (_, i) => `data: ${i}\n\n`), Array.from({ length: 1000 }, () => 100), []);
    });
    const aborted = nextEvent<string>(app.events, 'aborted', WAIT_MS);
    const res = await get(`/p/${forward.id}/forever`);
    await once(res, 'data');
    const left = Date.now();
    res.destroy();
    expect(await aborted).toBe('/forever');
    expect(Date.now() - left).toBeLessThan(CLOSE_WITHIN_MS);
  });
});

describe('ForwardProxy: the idle timeout of a proxied exchange (proxyIdleTimeoutMs)', () => {
  it('answers 504 upstream_timeout when the app has the whole request and sends nothing for the timeout', async () => {
    const { app, forward } = await forwardTo(() => undefined, { proxyIdleTimeoutMs: IDLE_MS });
    const aborted = nextEvent<string>(app.events, 'aborted', IDLE_MS + WAIT_MS);
    const started = Date.now();
    const result = await httpRequest({ port: porthole.port, path: `/p/${forward.id}/think`, headers: auth });
    const elapsed = Date.now() - started;
    expect(result.status).toBe(504);
    expect(JSON.parse(result.text)).toEqual({
      error: { code: 'upstream_timeout', message: `The app on port ${forward.containerPort} of the container did not answer within ${IDLE_MS} ms.` },
    });
    expect(elapsed).toBeGreaterThanOrEqual(IDLE_MS - 50);
    expect(elapsed).toBeLessThan(IDLE_MS + IDLE_SLACK_MS);
    expect(await aborted).toBe('/think');
  });

  it('destroys both sides of an upload nothing moves: the client went away, the app never reads (both sockets were left open for ever)', async () => {
    porthole = await startTestPorthole({ limits: { proxyIdleTimeoutMs: IDLE_MS } });
    // Accepts the connection and never reads a byte of it.
    const app = await startTcpServer((socket) => socket.pause());
    cleanups.push(() => app.close());
    const forward = await porthole.forward(app.address);
    const appSocket = nextEvent<Socket>(app.events, 'connection', WAIT_MS);
    const client = await rawConnection(porthole.port);
    client.on('error', () => undefined);
    client.write(`POST /p/${forward.id}/upload HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${ADMIN_TOKEN}\r\nContent-Length: ${64 * 1024 * 1024}\r\n\r\n`);
    const block = Buffer.alloc(64 * 1024);
    const fill = (): void => {
      while (!client.destroyed && client.write(block)) {
        /* until every buffer on the way is full */
      }
    };
    client.on('drain', fill);
    fill();
    const upstream = await appSocket;
    // Long enough for every buffer on the way to fill, well short of the timeout.
    await new Promise((resolve) => setTimeout(resolve, IDLE_MS / 4));
    const left = Date.now();
    client.destroy();
    await new Promise((resolve) => setTimeout(resolve, IDLE_MS / 2));
    // The stall is real: the exchange and the pool's connection are both still held.
    expect(porthole.http.connections.count(forward.id)).toBe(2);
    // The timeout counts from the last byte that moved, a little before the client left.
    await waitUntil(() => porthole.http.connections.count(forward.id) === 0, IDLE_MS + IDLE_SLACK_MS, 'both sides to be closed');
    expect(Date.now() - left).toBeLessThan(IDLE_MS + IDLE_SLACK_MS);
    // The app, which reads nothing, learns it by writing: its peer is gone.
    const closed = new Promise((resolve) => upstream.once('close', resolve));
    const probe = setInterval(() => upstream.write('probe'), 50);
    await closed.finally(() => clearInterval(probe));
  });

  it('destroys an answer the client has stopped reading for the timeout', async () => {
    const { app, forward } = await forwardTo(
      (_req, res) => {
        res.writeHead(200, { 'content-type': 'application/octet-stream' });
        const block = Buffer.alloc(64 * 1024);
        const pump = (): void => {
          while (!res.destroyed && res.write(block)) {
            /* until full */
          }
          if (!res.destroyed) res.once('drain', pump);
        };
        pump();
      },
      { proxyIdleTimeoutMs: IDLE_MS },
    );
    const aborted = nextEvent<string>(app.events, 'aborted', IDLE_MS + WAIT_MS);
    const res = await get(`/p/${forward.id}/download`);
    res.pause();
    const stalled = Date.now();
    expect(await aborted).toBe('/download');
    expect(Date.now() - stalled).toBeGreaterThanOrEqual(IDLE_MS - 50);
    expect(Date.now() - stalled).toBeLessThan(IDLE_MS + IDLE_SLACK_MS);
    await waitUntil(() => porthole.http.connections.count(forward.id) === 0, WAIT_MS, 'the exchange and its pool to be untracked');
  });

  it('keeps an event stream whose gaps are shorter than the timeout', async () => {
    const events = Array.from({ length: 4 }, (_, i) => `data: ${i}\n\n`);
    const { forward } = await forwardTo(
      (_req, res) => {
        res.writeHead(200, { 'content-type': 'text/event-stream' });
        writeSpaced(res, events, [IDLE_MS / 2, IDLE_MS / 2, IDLE_MS / 2], []);
      },
      { proxyIdleTimeoutMs: IDLE_MS },
    );
    expect(await readPieces(await get(`/p/${forward.id}/events`), '\n\n')).toMatchObject({ pieces: events, complete: true });
  });

  it('keeps an upload that moves slowly but steadily, for longer than the timeout', async () => {
    const { forward } = await forwardTo(
      (req, res) => {
        let length = 0;
        req.on('data', (chunk: Buffer) => (length += chunk.length));
        req.on('end', () => res.end(JSON.stringify({ length })));
      },
      { proxyIdleTimeoutMs: IDLE_MS },
    );
    const req = request({ host: '127.0.0.1', port: porthole.port, path: `/p/${forward.id}/slow-upload`, method: 'PUT', headers: auth, agent: false });
    const answered = once(req, 'response') as Promise<[IncomingMessage]>;
    for (let i = 0; i < 6; i += 1) {
      req.write(Buffer.alloc(1024));
      await new Promise((resolve) => setTimeout(resolve, IDLE_MS / 2));
    }
    req.end();
    const [res] = await answered;
    const read = await readPieces(res, '}');
    expect([res.statusCode, read.pieces]).toEqual([200, ['{"length":6144}']]);
  });
});
