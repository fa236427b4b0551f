import { createHash, randomBytes } from 'node:crypto';
import { EventEmitter, once } from 'node:events';
import { createServer, request, type IncomingHttpHeaders, type IncomingMessage, type RequestListener } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import type { PortForward } from '@porthole/core';
import { nextEvent, startTcpServer, waitUntil } from '../testing/fixtures';
import { httpRequest } from '../testing/http-client';
import { ADMIN_TOKEN, startTestPorthole, type TestPorthole } from '../testing/porthole-test-server';
import { FAIL_FAST_MS, TEST_TIMEOUT_MS, WAIT_MS } from '../testing/test-timeouts';

// Issue 3, "Proxy body cap": the limit on request and response bodies, and apps that
// answer before they have read the whole upload.

jest.setTimeout(TEST_TIMEOUT_MS);

const KiB = 1024;
const MiB = 1024 * KiB;
/** The limit these tests configure (PORTHOLE_PROXY_MAX_BYTES). */
const CAP = MiB;
const auth = { authorization: `Bearer ${ADMIN_TOKEN}` };

interface Answer {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  readonly body: Buffer;
  /** False when the connection was cut before the end of the body. */
  readonly complete: boolean;
  /** From the start of the request to the status line. */
  readonly ms: number;
  /** The client's connection to Porthole closed. */
  readonly socketClosed: Promise<unknown>;
}

/**
 * Sends `bytes` of body the way a real client does (writing on while it can, with
 * backpressure, declared by Content-Length or chunked) and resolves with the answer. A
 * write error once the answer has come is the server no longer reading the rest, which is
 * allowed; a reset before or during the answer rejects.
 */
function upload(port: number, path: string, bytes: number, framing: 'length' | 'chunked'): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const started = Date.now();
    let answered = false;
    const headers = { ...auth, ...(framing === 'length' ? { 'content-length': String(bytes) } : {}) };
    const req = request({ host: '127.0.0.1', port, path, method: 'POST', headers, agent: false }, (res) => {
      answered = true;
      const ms = Date.now() - started;
      const socket = req.socket as Socket;
      const socketClosed = new Promise((closed) => socket.once('close', closed));
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      const done = (complete: boolean) => () =>
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks), complete, ms, socketClosed });
      res.once('end', done(true));
      res.once('aborted', done(false));
      res.once('error', done(false));
    });
    req.on('error', (error) => {
      if (!answered) reject(error);
    });
    const block = randomBytes(64 * KiB);
    let left = bytes;
    const next = (): void => {
      while (left > 0 && !req.destroyed) {
        const chunk = block.subarray(0, Math.min(left, block.length));
        left -= chunk.length;
        if (!req.write(chunk)) {
          req.once('drain', next);
          return;
        }
      }
      req.end();
    };
    next();
  });
}

interface App {
  readonly address: { host: string; port: number };
  /** 'aborted' (url) when a request's connection closed before its answer was sent. */
  readonly events: EventEmitter;
  /** Body bytes received, over every request. */
  received: number;
  close(): Promise<void>;
}

async function startApp(handler: RequestListener): Promise<App> {
  const events = new EventEmitter();
  const server = createServer((req, res) => {
    req.on('data', (chunk: Buffer) => (app.received += chunk.length));
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
  const app: App = {
    address: { host: '127.0.0.1', port: (server.address() as AddressInfo).port },
    events,
    received: 0,
    close: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
  return app;
}

/** Reads a request body whole, then answers 200 with its length. */
const readAllThenAnswer: RequestListener = (req, res) => {
  let length = 0;
  req.on('data', (chunk: Buffer) => (length += chunk.length));
  req.on('end', () => res.end(JSON.stringify({ length })));
};

let porthole: TestPorthole;
const cleanups: (() => Promise<void>)[] = [];

beforeEach(async () => {
  porthole = await startTestPorthole({ limits: { proxyMaxBytes: CAP } });
});

afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  await porthole.close();
  expect(porthole.logger.messages('error')).toEqual([]);
});

async function forwardTo(handler: RequestListener): Promise<{ app: App; forward: PortForward }> {
  const app = await startApp(handler);
  cleanups.push(() => app.close());
  return { app, forward: await porthole.forward(app.address) };
}

/** The forward still answers, with `status` (what its app always answers). */
async function expectStillServing(forward: PortForward, status = 200): Promise<void> {
  const after = await httpRequest({ port: porthole.port, path: `/p/${forward.id}/after`, method: 'POST', headers: auth, body: 'x' });
  expect(after.status).toBe(status);
}

describe('ForwardProxy: the request body cap', () => {
  it('answers a real upload declaring more than the cap 413 within 1 s, before the app sees it', async () => {
    const { app, forward } = await forwardTo(readAllThenAnswer);
    const answer = await upload(porthole.port, `/p/${forward.id}/upload`, 8 * CAP, 'length');
    expect(answer.ms).toBeLessThan(FAIL_FAST_MS);
    expect(answer.status).toBe(413);
    expect(JSON.parse(answer.body.toString()).error.code).toBe('payload_too_large');
    expect(answer.headers.connection).toBe('close');
    await answer.socketClosed;
    expect(app.received).toBe(0);
  });

  it('cuts a chunked body at the cap: 413 payload_too_large, the connection closed, the request to the app aborted', async () => {
    const { app, forward } = await forwardTo(readAllThenAnswer);
    const aborted = nextEvent<string>(app.events, 'aborted', WAIT_MS);
    const answer = await upload(porthole.port, `/p/${forward.id}/chunked`, 8 * CAP, 'chunked');
    expect(answer.status).toBe(413);
    expect(JSON.parse(answer.body.toString())).toEqual({
      error: { code: 'payload_too_large', message: `The request body is larger than the limit of ${CAP} bytes.` },
    });
    expect(answer.headers.connection).toBe('close');
    await answer.socketClosed;
    expect(await aborted).toBe('/chunked');
    expect(app.received).toBeLessThanOrEqual(CAP);
    await expectStillServing(forward);
  });

  it.each([
    ['chunked', 'chunked' as const],
    ['with a Content-Length', 'length' as const],
  ])('passes a body of exactly the cap, %s', async (_description, framing) => {
    const { forward } = await forwardTo(readAllThenAnswer);
    const answer = await upload(porthole.port, `/p/${forward.id}/exact`, CAP, framing);
    expect([answer.status, JSON.parse(answer.body.toString())]).toEqual([200, { length: CAP }]);
  });

  it('aborts the connection when a chunked body crosses the cap after the answer has started', async () => {
    const { app, forward } = await forwardTo((req, res) => {
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.write('started\n');
      req.resume();
    });
    const aborted = nextEvent<string>(app.events, 'aborted', WAIT_MS);
    const req = request({ host: '127.0.0.1', port: porthole.port, path: `/p/${forward.id}/streaming`, method: 'POST', headers: auth, agent: false });
    req.on('error', () => undefined);
    req.write(Buffer.alloc(16 * KiB));
    // The answer is under way before the body reaches the cap.
    const [res] = (await once(req, 'response')) as [IncomingMessage];
    const text: string[] = [];
    res.setEncoding('utf8').on('data', (chunk: string) => text.push(chunk));
    const cut = new Promise((resolve) => res.once('aborted', resolve));
    await waitUntil(() => text.length > 0, WAIT_MS, 'the first part of the answer');
    req.write(Buffer.alloc(2 * CAP));
    await cut;
    expect([res.statusCode, text.join(''), res.complete]).toEqual([200, 'started\n', false]);
    expect(await aborted).toBe('/streaming');
    expect(app.received).toBeLessThanOrEqual(CAP);
  });
});

describe("ForwardProxy: an app that answers before reading the upload: the client gets the app's answer", () => {
  const UPLOAD = 32 * MiB;
  // A large answer to a client still uploading is lost to a reset unless the connection
  // lingers (seen: every try was). An app that itself closes on unread bytes gets its
  // own kernel to reset the connection, which loses what it had not sent yet whoever the
  // client is, so those apps answer with less (direct clients got 16 KiB: 20 tries of 20).
  const large = randomBytes(MiB);
  const small = randomBytes(16 * KiB);
  const sha256 = (data: Buffer) => createHash('sha256').update(data).digest('hex');

  beforeEach(async () => {
    await porthole.close();
    porthole = await startTestPorthole({ limits: { proxyMaxBytes: 2 * UPLOAD } });
  });

  async function expectAppAnswer(forward: PortForward, status: number, body: Buffer): Promise<void> {
    for (const framing of ['length', 'chunked'] as const) {
      for (let attempt = 0; attempt < 3; attempt += 1) {
        const answer = await upload(porthole.port, `/p/${forward.id}/upload`, UPLOAD, framing);
        expect([framing, answer.status, answer.complete, sha256(answer.body)]).toEqual([framing, status, true, sha256(body)]);
        expect(answer.headers.connection).toBe('close');
        await answer.socketClosed;
      }
    }
  }

  it.each([
    ['413 with 1 MiB, keeping its connection (Node then discards the rest of the body)', 413, {}, large],
    ['200 with 1 MiB, keeping its connection', 200, {}, large],
    ['413 with 16 KiB and Connection: close, then closes on the unread body', 413, { connection: 'close' }, small],
  ])('a Node app: %s', async (_description, status, headers, body) => {
    const { forward } = await forwardTo((_req, res) => {
      res.writeHead(status, { 'content-type': 'application/octet-stream', ...headers });
      res.end(body);
    });
    await expectAppAnswer(forward, status, body);
    await expectStillServing(forward, status);
  });

  it('a raw app that answers 413 and closes its socket on the unread body (its kernel then resets)', async () => {
    const app = await startTcpServer((socket) => {
      socket.once('data', () => {
        // Reads nothing more: closing on unread bytes makes the kernel send a reset.
        socket.pause();
        socket.end(`HTTP/1.1 413 Payload Too Large\r\nContent-Length: ${small.length}\r\nConnection: close\r\n\r\n${small.toString('latin1')}`, 'latin1');
        socket.once('finish', () => socket.destroy());
      });
    });
    cleanups.push(() => app.close());
    const forward = await porthole.forward(app.address);
    await expectAppAnswer(forward, 413, small);
    await waitUntil(() => app.openConnections() === 0, WAIT_MS, 'the app connections to close');
  });
});

describe('ForwardProxy: the response body cap', () => {
  /** An app that answers every request with `raw` (written in pieces of at most 16 KiB). */
  async function rawAnswer(raw: Buffer | string, end: boolean) {
    const app = await startTcpServer((socket) => {
      // Like an HTTP server, not half-open: when Porthole closes its side, so does the app.
      socket.once('end', () => socket.end());
      socket.once('data', () => {
        const bytes = Buffer.from(raw);
        for (let at = 0; at < bytes.length; at += 16 * KiB) socket.write(bytes.subarray(at, at + 16 * KiB));
        if (end) socket.end();
      });
    });
    cleanups.push(() => app.close());
    return { app, forward: await porthole.forward(app.address) };
  }

  it('answers 502 upstream_response_too_large for a declared body over the cap, sending nothing of it', async () => {
    const { app, forward } = await rawAnswer(`HTTP/1.1 200 OK\r\nX-App: yes\r\nContent-Length: ${CAP + 1}\r\n\r\nfirst bytes`, false);
    const result = await httpRequest({ port: porthole.port, path: `/p/${forward.id}/big`, headers: auth });
    expect(result.status).toBe(502);
    expect(JSON.parse(result.text)).toEqual({
      error: {
        code: 'upstream_response_too_large',
        message: `The app on port ${forward.containerPort} of the container answered with a body larger than the limit of ${CAP} bytes.`,
      },
    });
    expect(result.headers['x-app']).toBeUndefined();
    await waitUntil(() => app.openConnections() === 0, WAIT_MS, 'the app connection to close');
  });

  it.each([
    ['a body of exactly the cap', 'GET', `HTTP/1.1 200 OK\r\nContent-Length: ${CAP}\r\n\r\n${'x'.repeat(CAP)}`, 200, CAP],
    ['HEAD, whatever its Content-Length says', 'HEAD', `HTTP/1.1 200 OK\r\nContent-Length: ${10 * CAP}\r\n\r\n`, 200, 0],
    ['304, whatever its Content-Length says', 'GET', `HTTP/1.1 304 Not Modified\r\nContent-Length: ${10 * CAP}\r\n\r\n`, 304, 0],
  ])('relays %s', async (_description, method, raw, status, length) => {
    const { forward } = await rawAnswer(raw, false);
    const result = await httpRequest({ port: porthole.port, path: `/p/${forward.id}/ok`, method, headers: auth });
    expect([result.status, result.body.length]).toEqual([status, length]);
  });

  it.each([
    ['chunked', `HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n`, (data: string) => `${data.length.toString(16)}\r\n${data}\r\n`],
    ['delimited by the close of the connection', 'HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n', (data: string) => data],
  ])('cuts a streamed answer (%s) at the cap, after at most the cap', async (_description, head, frame) => {
    const pieces = [head, ...Array.from({ length: 80 }, () => frame('y'.repeat(16 * KiB)))];
    const { app, forward } = await rawAnswer(pieces.join(''), true);
    const answer = await new Promise<{ status: number; bytes: number; complete: boolean }>((resolve) => {
      const req = request({ host: '127.0.0.1', port: porthole.port, path: `/p/${forward.id}/stream`, headers: auth, agent: false }, (res) => {
        let bytes = 0;
        res.on('data', (chunk: Buffer) => (bytes += chunk.length));
        res.once('end', () => resolve({ status: res.statusCode ?? 0, bytes, complete: true }));
        res.once('aborted', () => resolve({ status: res.statusCode ?? 0, bytes, complete: false }));
      });
      req.on('error', () => undefined);
      req.end();
    });
    expect(answer.status).toBe(200);
    expect(answer.complete).toBe(false);
    expect(answer.bytes).toBeLessThanOrEqual(CAP);
    await waitUntil(() => app.openConnections() === 0, WAIT_MS, 'the app connection to close');
  });

  it('answers 502 upstream_response_too_large when the first piece of a streamed answer already crosses the cap', async () => {
    await porthole.close();
    porthole = await startTestPorthole({ limits: { proxyMaxBytes: 1000 } });
    const { forward } = await rawAnswer(`HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n7d0\r\n${'z'.repeat(2000)}\r\n`, false);
    const result = await httpRequest({ port: porthole.port, path: `/p/${forward.id}/burst`, headers: auth });
    expect(result.status).toBe(502);
    expect(JSON.parse(result.text).error.code).toBe('upstream_response_too_large');
  });
});
