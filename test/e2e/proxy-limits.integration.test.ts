import { createHash } from 'node:crypto';
import { request, type IncomingHttpHeaders } from 'node:http';
import { describeDocker, removeTestContainers, startFixtureContainer, type FixtureContainer } from '../support/docker';
import { rawRequest } from '../support/http';
import { E2E_TOKEN, startTestPorthole, type TestPorthole } from '../support/porthole';
import { TIMEOUTS } from '../support/timeouts';

// Issue 3, "Proxy body cap" and "Streaming stays streaming", against a real container:
// the fixture's http-echo (test/fixtures/http-echo.js) behind Porthole as `main` wires it.

const MiB = 1024 * 1024;
const auth = { authorization: `Bearer ${E2E_TOKEN}` };
/** Requirement (issue 3): an oversized declared body is refused within 1 s. */
const REFUSED_WITHIN_MS = 1_000;
/** The cap of the second Porthole (PORTHOLE_PROXY_MAX_BYTES). */
const SMALL_CAP = MiB;

/** sha256 of what http-echo's `/bytes?n=N` sends: byte i of each 64 KiB block is i % 251. */
function patternSha256(total: number): string {
  const block = Buffer.alloc(64 * 1024);
  for (let i = 0; i < block.length; i += 1) block[i] = i % 251;
  const hash = createHash('sha256');
  for (let left = total; left > 0; left -= block.length) hash.update(block.subarray(0, Math.min(left, block.length)));
  return hash.digest('hex');
}

interface Answer {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
  /** From the first byte of the request to the status line. */
  readonly ms: number;
}

/**
 * Uploads `bytes` like a real client (declared or chunked, writing on with backpressure
 * until the whole body is sent or the answer has come) and resolves with the answer.
 */
function upload(base: string, path: string, bytes: number, declared: number | 'chunked'): Promise<Answer> {
  const url = new URL(base);
  return new Promise((resolve, reject) => {
    const started = Date.now();
    let answered = false;
    const headers = { ...auth, ...(declared === 'chunked' ? {} : { 'content-length': String(declared) }) };
    const req = request({ host: url.hostname, port: url.port, path, method: 'POST', headers, agent: false }, (res) => {
      answered = true;
      const ms = Date.now() - started;
      let body = '';
      res.setEncoding('utf8').on('data', (chunk: string) => (body += chunk));
      res.once('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body, ms }));
      res.once('error', reject);
    });
    req.on('error', (error) => {
      if (!answered) reject(error);
    });
    const block = Buffer.alloc(64 * 1024, 7);
    let left = bytes;
    const next = (): void => {
      while (left > 0 && !answered && !req.destroyed) {
        const chunk = block.subarray(0, Math.min(left, block.length));
        left -= chunk.length;
        if (!req.write(chunk)) {
          req.once('drain', next);
          return;
        }
      }
      if (left === 0) req.end();
    };
    next();
  });
}

describeDocker('HTTP proxy limits and streaming against a real container', () => {
  let app: FixtureContainer;
  let porthole: TestPorthole;
  let small: TestPorthole;
  let forwardId: string;
  let smallForwardId: string;

  beforeAll(async () => {
    app = await startFixtureContainer();
    porthole = await startTestPorthole();
    small = await startTestPorthole({ PORTHOLE_PROXY_MAX_BYTES: String(SMALL_CAP) });
    forwardId = (await porthole.api('POST', `/api/containers/${app.id}/port-forwards`, { container_port: app.httpPort })).json.id;
    smallForwardId = (await small.api('POST', `/api/containers/${app.id}/port-forwards`, { container_port: app.httpPort })).json.id;
  }, TIMEOUTS.engineHook);

  afterAll(async () => {
    await porthole?.close();
    await small?.close();
    await removeTestContainers();
  }, TIMEOUTS.engineHook);

  it('streams a 60 MB answer through intact', async () => {
    const total = 60 * MiB;
    const response = await rawRequest(porthole.url, { path: `/p/${forwardId}/bytes?n=${total}`, headers: auth });
    expect(response.status).toBe(200);
    expect(response.headers['content-length']).toBe(String(total));
    expect(response.body.length).toBe(total);
    expect(createHash('sha256').update(response.body).digest('hex')).toBe(patternSha256(total));
  }, TIMEOUTS.engineTest);

  it('delivers server-sent events as the app sends them, long before it finishes, uncompressed', async () => {
    const delay = 400;
    const started = Date.now();
    const response = await fetch(`${porthole.url}/p/${forwardId}/sse?events=5&delay=${delay}`, {
      headers: { ...auth, accept: 'text/event-stream', 'accept-encoding': 'gzip, br' },
    });
    expect(response.headers.get('content-type')).toBe('text/event-stream');
    expect(response.headers.get('content-encoding')).toBeNull();
    const arrivals: number[] = [];
    let text = '';
    for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
      text += Buffer.from(chunk).toString();
      while (arrivals.length < text.split('\n\n').length - 1) arrivals.push(Date.now() - started);
    }
    const ended = Date.now() - started;
    expect(text).toBe([0, 1, 2, 3, 4].map((i) => `data: event ${i}\n\n`).join(''));
    // The app sends event i at (i + 1) * delay and ends with the last: held back, every
    // event would arrive at the end.
    expect(ended - (arrivals[0] as number)).toBeGreaterThanOrEqual(3 * delay);
    for (let i = 1; i < arrivals.length; i += 1) expect((arrivals[i] as number) - (arrivals[i - 1] as number)).toBeGreaterThan(delay / 2);
  }, TIMEOUTS.engineTest);

  it('answers an upload declaring more than the cap (100 MB) 413 within 1 s, while the client is sending it', async () => {
    const answer = await upload(porthole.url, `/p/${forwardId}/upload`, 200 * MiB, 200 * MiB);
    expect(answer.ms).toBeLessThan(REFUSED_WITHIN_MS);
    expect(answer.status).toBe(413);
    expect(JSON.parse(answer.body).error.code).toBe('payload_too_large');
    expect(answer.headers.connection).toBe('close');
  }, TIMEOUTS.engineTest);

  it('answers a chunked upload over a small configured cap (PORTHOLE_PROXY_MAX_BYTES) 413 payload_too_large', async () => {
    const answer = await upload(small.url, `/p/${smallForwardId}/upload`, 8 * SMALL_CAP, 'chunked');
    expect(answer.status).toBe(413);
    expect(JSON.parse(answer.body)).toEqual({
      error: { code: 'payload_too_large', message: `The request body is larger than the limit of ${SMALL_CAP} bytes.` },
    });
    expect(answer.headers.connection).toBe('close');
  }, TIMEOUTS.engineTest);

  it('passes a chunked upload of exactly the small cap intact', async () => {
    const answer = await upload(small.url, `/p/${smallForwardId}/upload`, SMALL_CAP, 'chunked');
    expect(answer.status).toBe(200);
    expect(JSON.parse(answer.body).bodyLength).toBe(SMALL_CAP);
  }, TIMEOUTS.engineTest);

  it('answers 502 upstream_response_too_large for an answer declared over the small cap, and keeps serving', async () => {
    const response = await rawRequest(small.url, { path: `/p/${smallForwardId}/bytes?n=${2 * SMALL_CAP}`, headers: auth });
    expect(response.status).toBe(502);
    expect(JSON.parse(response.body.toString()).error.code).toBe('upstream_response_too_large');
    const after = await rawRequest(small.url, { path: `/p/${smallForwardId}/bytes?n=${SMALL_CAP}`, headers: auth });
    expect([after.status, after.body.length]).toEqual([200, SMALL_CAP]);
  }, TIMEOUTS.engineTest);
});

describeDocker('PORTHOLE_PROXY_IDLE_TIMEOUT_MS against a real container', () => {
  let porthole: TestPorthole;
  let silent: FixtureContainer;

  beforeAll(async () => {
    // Accepts connections and never answers.
    silent = await startFixtureContainer({ command: ['node', '-e', "require('net').createServer(() => {}).listen(7000)"], waitForPorts: [7000] });
    porthole = await startTestPorthole({ PORTHOLE_PROXY_IDLE_TIMEOUT_MS: '1000' });
  }, TIMEOUTS.engineHook);

  afterAll(async () => {
    await porthole?.close();
    await removeTestContainers();
  }, TIMEOUTS.engineHook);

  it('answers 504 upstream_timeout when the app sends nothing for the configured time', async () => {
    const created = await porthole.api('POST', `/api/containers/${silent.id}/port-forwards`, { container_port: 7000 });
    const started = Date.now();
    const response = await fetch(`${porthole.url}/p/${created.json.id}/`, { headers: { authorization: `Bearer ${E2E_TOKEN}` } });
    const elapsed = Date.now() - started;
    expect(response.status).toBe(504);
    expect(((await response.json()) as { error: { code: string } }).error.code).toBe('upstream_timeout');
    expect(elapsed).toBeGreaterThanOrEqual(900);
    expect(elapsed).toBeLessThan(3000);
  }, TIMEOUTS.engineTest);
});
