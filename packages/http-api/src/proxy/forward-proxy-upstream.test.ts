import { createHash, randomBytes } from 'node:crypto';
import { once } from 'node:events';
import type { Socket } from 'node:net';
import { gzipSync } from 'node:zlib';
import type { PortForward } from '@porthole/core';
import { startTcpServer, waitUntil, type TcpFixture } from '../testing/fixtures';
import { httpRequest, rawConnection, readUntilClose } from '../testing/http-client';
import { ADMIN_TOKEN, startTestPorthole, type TestPorthole } from '../testing/porthole-test-server';
import { QUIET_MS, TEST_TIMEOUT_MS, WAIT_MS } from '../testing/test-timeouts';

// Apps that answer with raw bytes, the way a broken app in a container would: every
// incident here was first seen against a real container (one test per incident).

jest.setTimeout(TEST_TIMEOUT_MS);

const auth = { authorization: `Bearer ${ADMIN_TOKEN}` };
const OK = 'HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 2\r\n\r\nok';

let porthole: TestPorthole;
let app: TcpFixture;
let forward: PortForward;
/** What the app answers to a request for a path; `/ok` (or an unknown path) gets {@link OK}. */
let answers: Record<string, string | Buffer | ((socket: Socket) => void)>;

/**
 * An app that answers each bodiless request on a connection with the raw bytes in
 * `answers` for its path, and leaves the connection open as a keep-alive server would.
 */
function rawApp(): Promise<TcpFixture> {
  return startTcpServer((socket) => {
    // Like an HTTP server, not half-open: when Porthole closes its side, so does the app.
    socket.once('end', () => socket.end());
    let buffered = '';
    socket.on('data', (chunk: Buffer) => {
      buffered += chunk.toString('latin1');
      for (let end = buffered.indexOf('\r\n\r\n'); end >= 0; end = buffered.indexOf('\r\n\r\n')) {
        const path = buffered.slice(0, end).split(' ')[1] ?? '/';
        buffered = buffered.slice(end + 4);
        const answer = answers[path] ?? OK;
        if (typeof answer === 'function') answer(socket);
        else socket.write(typeof answer === 'string' ? Buffer.from(answer, 'latin1') : answer);
      }
    });
  });
}

beforeEach(async () => {
  answers = {};
  porthole = await startTestPorthole();
  app = await rawApp();
  forward = await porthole.forward(app.address);
});

afterEach(async () => {
  await porthole.close();
  await app.close();
  // A broken app is the app's problem: nothing here may be logged as Porthole's error.
  expect(porthole.logger.messages('error')).toEqual([]);
});

function get(path: string, method = 'GET') {
  return httpRequest({ port: porthole.port, path: `/p/${forward.id}${path}`, method, headers: auth });
}

/** The whole bad_upstream_response answer, byte for byte where it matters. */
async function expectBadUpstream(path: string): Promise<void> {
  const result = await get(path);
  expect(result.status).toBe(502);
  expect(JSON.parse(result.text)).toEqual({
    error: { code: 'bad_upstream_response', message: `The app on port ${forward.containerPort} of the container sent an invalid HTTP response.` },
  });
  expect(result.headers['content-type']).toBe('application/json; charset=utf-8');
  expect(result.headers['content-length']).toBe(String(result.body.length));
  expect(result.headers['transfer-encoding']).toBeUndefined();
  expect(result.headers['set-cookie']).toBeUndefined();
}

/** The process is still serving, on the same forward. */
async function expectStillServing(): Promise<void> {
  const after = await get('/ok');
  expect([after.status, after.text]).toEqual([200, 'ok']);
}

/** Sends `request` on a raw connection and reads one answer framed by Content-Length. */
function roundTrip(socket: Socket, request: string): Promise<{ head: string; body: string }> {
  return new Promise((resolve, reject) => {
    let buffered = Buffer.alloc(0);
    const onData = (chunk: Buffer) => {
      buffered = Buffer.concat([buffered, chunk]);
      const end = buffered.indexOf('\r\n\r\n');
      if (end < 0) return;
      const head = buffered.subarray(0, end).toString('latin1');
      const length = Number(/\r\ncontent-length: *(\d+)/i.exec(head)?.[1] ?? 'NaN');
      if (buffered.length < end + 4 + length) return;
      socket.off('data', onData);
      resolve({ head, body: buffered.subarray(end + 4, end + 4 + length).toString('utf8') });
    };
    socket.on('data', onData);
    socket.once('close', () => reject(new Error(`closed after ${JSON.stringify(buffered.toString('latin1'))}`)));
    socket.write(request);
  });
}

function rawGet(path: string, extra = ''): string {
  return `GET /p/${forward.id}${path} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${ADMIN_TOKEN}\r\n${extra}\r\n`;
}

describe('ForwardProxy: incident 1, a status line or header Node would refuse to send', () => {
  it.each([
    ['a status below 100', 'HTTP/1.1 099 X\r\nContent-Length: 0\r\n\r\n'],
    ['status 000', 'HTTP/1.1 000 X\r\nContent-Length: 0\r\n\r\n'],
    ['a control character in a header value', 'HTTP/1.1 200 OK\r\nX-Bad: a\x01b\r\nContent-Length: 0\r\n\r\n'],
  ])('answers %s with 502 bad_upstream_response, without crashing, and keeps serving', async (_description, answer) => {
    answers['/bad'] = answer;
    await expectBadUpstream('/bad');
    await expectStillServing();
  });

  it.each([
    ['DEL (0x7f)', '\x7f'],
    ['a C0 control (0x01)', '\x01'],
    ['NUL', '\x00'],
  ])('replaces a reason phrase with %s by the standard one and relays the answer', async (_description, char) => {
    answers['/reason'] = `HTTP/1.1 200 O${char}K\r\nContent-Length: 5\r\n\r\nhello`;
    const socket = await rawConnection(porthole.port);
    try {
      const { head, body } = await roundTrip(socket, rawGet('/reason'));
      expect(head.split('\r\n')[0]).toBe('HTTP/1.1 200 OK');
      expect(body).toBe('hello');
    } finally {
      socket.destroy();
    }
    await expectStillServing();
  });

  it('drops a Trailer announced on a Content-Length answer (Node refuses to send one) and relays the rest', async () => {
    answers['/trailer'] = 'HTTP/1.1 200 OK\r\nTrailer: X-Checksum\r\nContent-Length: 5\r\n\r\nhello';
    const result = await get('/trailer');
    expect([result.status, result.text, result.headers.trailer]).toEqual([200, 'hello', undefined]);
    await expectStillServing();
  });
});

describe('ForwardProxy: incident 2, an answer that breaks', () => {
  it("answers a body that breaks before any byte went out with a clean 502, none of the app's headers, on a usable connection", async () => {
    answers['/broken'] = 'HTTP/1.1 200 OK\r\nSet-Cookie: session=attacker; Path=/\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n';
    const socket = await rawConnection(porthole.port);
    try {
      const first = await roundTrip(socket, rawGet('/broken'));
      const lines = first.head.toLowerCase().split('\r\n');
      expect(lines[0]).toBe('http/1.1 502 bad gateway');
      expect(lines.filter((line) => /^(set-cookie|transfer-encoding|content-length):/.test(line))).toEqual([
        `content-length: ${Buffer.byteLength(first.body)}`,
      ]);
      expect(JSON.parse(first.body).error.code).toBe('bad_upstream_response');
      // The framing was sound: the next request on the same connection is served.
      const second = await roundTrip(socket, rawGet('/ok'));
      expect([second.head.split('\r\n')[0], second.body]).toEqual(['HTTP/1.1 200 OK', 'ok']);
    } finally {
      socket.destroy();
    }
  });

  it('cuts the connection when the body breaks after bytes went out: never a second status line', async () => {
    answers['/late'] = (socket) => {
      socket.write('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n');
      setTimeout(() => socket.write('zz\r\n'), QUIET_MS);
    };
    const socket = await rawConnection(porthole.port);
    const text = readUntilClose(socket, WAIT_MS);
    const closed = once(socket, 'close');
    socket.write(rawGet('/late'));
    const received = await text;
    await closed;
    expect(received).toMatch(/^HTTP\/1\.1 200 OK\r\n[\s\S]*\r\n\r\n5\r\nhello\r\n$/);
    expect(received.match(/HTTP\/1\.1 /g)).toHaveLength(1);
    await expectStillServing();
  });

  it('answers 502 when the app closes before the body it announced, with nothing sent yet', async () => {
    answers['/short'] = (socket) => socket.end('HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n');
    await expectBadUpstream('/short');
    await expectStillServing();
  });
});

describe("ForwardProxy: incident 3, hop-by-hop headers and the client's Connection", () => {
  it.each([
    ['Connection: close over HTTP/1.1', 'HTTP/1.1', 'Connection: close\r\n'],
    ['HTTP/1.0 without keep-alive', 'HTTP/1.0', ''],
  ])("honours %s: the answer says close and the connection closes", async (_description, version, header) => {
    const socket = await rawConnection(porthole.port);
    const text = readUntilClose(socket, WAIT_MS);
    const closed = once(socket, 'close');
    socket.write(`GET /p/${forward.id}/ok ${version}\r\nHost: x\r\nAuthorization: Bearer ${ADMIN_TOKEN}\r\n${header}\r\n`);
    await closed;
    const received = await text;
    expect(received).toMatch(/^HTTP\/1\.1 200 OK\r\n/);
    expect(received.toLowerCase()).toContain('\r\nconnection: close\r\n');
    expect(received.toLowerCase()).not.toContain('keep-alive');
    expect(received.endsWith('\r\n\r\nok')).toBe(true);
  });

  it("keeps the app's hop-by-hop headers (Connection and what it names, Keep-Alive, Proxy-*, ...) from the client", async () => {
    answers['/hop'] =
      'HTTP/1.1 200 OK\r\nConnection: keep-alive, X-Secret\r\nKeep-Alive: timeout=99\r\nX-Secret: s3cr3t\r\n' +
      'Proxy-Authenticate: Basic realm="app"\r\nProxy-Authentication-Info: x\r\nProxy-Connection: keep-alive\r\n' +
      'Upgrade: h2c\r\nTrailer: X-Sum\r\nTE: trailers\r\nX-End: kept\r\nTransfer-Encoding: chunked\r\n\r\n' +
      '3\r\nabc\r\n0\r\nX-Sum: 1\r\n\r\n';
    const result = await get('/hop');
    expect(result.status).toBe(200);
    expect(result.text).toBe('abc');
    expect(result.headers['x-end']).toBe('kept');
    for (const name of ['x-secret', 'proxy-authenticate', 'proxy-authentication-info', 'proxy-connection', 'upgrade', 'trailer', 'te']) {
      expect([name, result.headers[name]]).toEqual([name, undefined]);
    }
    // httpRequest sends Connection: close, so Node adds neither keep-alive header.
    expect(result.headers.connection).toBe('close');
    expect(result.headers['keep-alive']).toBeUndefined();
    await expectStillServing();
  });
});

describe('ForwardProxy: incident 4, 101 Switching Protocols to a plain request', () => {
  it.each([
    ['with an Upgrade header', 'HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n'],
    ['without one', 'HTTP/1.1 101 Switching Protocols\r\n\r\n'],
  ])('answers 502 bad_upstream_response at once (%s) and drops the app connection', async (_description, answer) => {
    answers['/switch'] = answer;
    await expectBadUpstream('/switch');
    await waitUntil(() => app.openConnections() === 0, WAIT_MS, 'the switched app connection to close');
    await expectStillServing();
  });
});

describe('ForwardProxy: incident 5, garbage from the app', () => {
  it.each([
    ['no status line at all', 'garbage\r\n\r\n'],
    ['a four-digit status', 'HTTP/1.1 2000 OK\r\nContent-Length: 0\r\n\r\n'],
    ['Content-Length with Transfer-Encoding', 'HTTP/1.1 200 OK\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n'],
    ['a transfer coding other than chunked', 'HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\nxyz'],
  ])('answers %s with 502 bad_upstream_response, not "nothing accepts connections"', async (_description, answer) => {
    answers['/garbage'] = answer;
    await expectBadUpstream('/garbage');
    await expectStillServing();
  });
});

describe('ForwardProxy: answers relayed through our own response', () => {
  const gzipped = gzipSync(Buffer.from('compressed body '.repeat(100)));

  it.each([
    ['closes', (socket: Socket) => socket.end()],
    ['resets', (socket: Socket) => socket.resetAndDestroy()],
  ])('says so when the app takes the request and %s the connection without answering', async (_name, hangUp) => {
    answers['/hang-up'] = hangUp;
    const result = await get('/hang-up');
    expect(result.status).toBe(502);
    expect(JSON.parse(result.text)).toEqual({
      error: {
        code: 'upstream_unreachable',
        message: `The app on port ${forward.containerPort} of the container closed the connection without answering.`,
      },
    });
  });

  it('keeps every Set-Cookie, in order, with a site-wide Path scoped to the forward', async () => {
    answers['/cookies'] =
      'HTTP/1.1 200 OK\r\nSet-Cookie: a=1; Path=/\r\nSet-Cookie: b=2; HttpOnly\r\nSet-Cookie: c=3; Path=/x; Secure\r\nContent-Length: 0\r\n\r\n';
    expect((await get('/cookies')).headers['set-cookie']).toEqual([
      `a=1; Path=/p/${forward.id}/`,
      'b=2; HttpOnly',
      `c=3; Path=/p/${forward.id}/x; Secure`,
    ]);
  });

  it.each([
    ['root-absolute', '/login?next=%2Fa', (id: string) => `/p/${id}/login?next=%2Fa`],
    ['already in the prefix', '/p/{id}/in', (id: string) => `/p/${id}/in`],
    ['relative', 'next/page', () => 'next/page'],
    ['another site', 'https://example.org/x', () => 'https://example.org/x'],
    ["the app's own loopback address", 'http://127.0.0.1:{port}/back', (id: string) => `/p/${id}/back`],
  ])('rewrites a %s redirect to stay on the forward', async (_name, location, expected) => {
    const given = location.replace('{id}', forward.id).replace('{port}', String(app.address.port));
    answers['/redirect'] = `HTTP/1.1 302 Found\r\nLocation: ${given}\r\nContent-Length: 0\r\n\r\n`;
    expect((await get('/redirect')).headers['location']).toBe(expected(forward.id));
  });

  it('passes Content-Encoding and the encoded bytes untouched', async () => {
    answers['/gzip'] = Buffer.concat([
      Buffer.from(`HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\nContent-Length: ${gzipped.length}\r\n\r\n`),
      gzipped,
    ]);
    const result = await get('/gzip');
    expect(result.headers['content-encoding']).toBe('gzip');
    expect(createHash('sha256').update(result.body).digest('hex')).toBe(createHash('sha256').update(gzipped).digest('hex'));
  });

  it.each([
    ['with a Content-Length', (body: Buffer) => Buffer.concat([Buffer.from(`HTTP/1.1 200 OK\r\nContent-Length: ${body.length}\r\n\r\n`), body])],
    ['chunked', (body: Buffer) => Buffer.concat([Buffer.from(`HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n${body.length.toString(16)}\r\n`), body, Buffer.from('\r\n0\r\n\r\n')])],
  ])('streams an 8 MB answer %s byte-identical', async (_description, frame) => {
    const body = randomBytes(8 * 1024 * 1024);
    answers['/big'] = frame(body);
    const result = await get('/big');
    expect(result.status).toBe(200);
    expect(createHash('sha256').update(result.body).digest('hex')).toBe(createHash('sha256').update(body).digest('hex'));
  });

  it('holds the app back while the client does not read (backpressure, nothing buffered whole)', async () => {
    const total = 128 * 1024 * 1024;
    const chunk = Buffer.alloc(64 * 1024, 1);
    let written = 0;
    answers['/huge'] = (socket) => {
      socket.write(`HTTP/1.1 200 OK\r\nContent-Length: ${total}\r\n\r\n`);
      const pump = () => {
        while (written < total && !socket.destroyed) {
          written += chunk.length;
          if (!socket.write(chunk)) {
            socket.once('drain', pump);
            return;
          }
        }
      };
      pump();
    };
    const client = await rawConnection(porthole.port);
    client.pause();
    client.write(rawGet('/huge'));
    await waitUntil(() => written > 0, WAIT_MS, 'the app to start writing');
    await new Promise((resolve) => setTimeout(resolve, 2 * QUIET_MS));
    // Socket buffers hold a few MB on loopback; without backpressure all 128 MB would pass.
    expect(written).toBeLessThan(32 * 1024 * 1024);
    client.destroy();
  });

  it('relays an answer delimited by the close of the connection (no length, not chunked)', async () => {
    answers['/until-close'] = (socket) => socket.end('HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\nall of it');
    const result = await get('/until-close');
    expect([result.status, result.text]).toEqual([200, 'all of it']);
    await expectStillServing();
  });

  it.each([
    ['HEAD, with the Content-Length of the GET', 'HEAD', 'HTTP/1.1 200 OK\r\nContent-Length: 42\r\n\r\n', 200, { 'content-length': '42' }],
    ['204', 'GET', 'HTTP/1.1 204 No Content\r\nX-A: 1\r\n\r\n', 204, { 'x-a': '1' }],
    ['304', 'GET', 'HTTP/1.1 304 Not Modified\r\nETag: "v1"\r\n\r\n', 304, { etag: '"v1"' }],
  ])('relays %s without a body, and keeps serving', async (_description, method, answer, status, headers) => {
    answers['/nobody'] = answer;
    const result = await get('/nobody', method);
    expect([result.status, result.body.length]).toEqual([status, 0]);
    expect(result.headers).toMatchObject(headers);
    await expectStillServing();
  });
});
