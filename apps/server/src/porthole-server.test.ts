import { once } from 'node:events';
import { request } from 'node:http';
import { createServer, type AddressInfo } from 'node:net';
import pino from 'pino';
import {
  CryptoIdGenerator,
  ForwardService,
  InMemoryForwardStore,
  RangePortAllocator,
  systemClock,
  type Principal,
} from '@porthole/core';
import { FakeContainerRuntime, RecordingPublisher } from '@porthole/core/testing';
import { parseConfig } from './config';
import { startPorthole, type RunningPorthole } from './porthole-server';

const TOKEN = 'server-test-token-0123456789abcdef';
const admin: Principal = { id: 'admin', role: 'admin' };
const KEPT = 'c0ffee000000000000000000000000000000000000000000000000000000kept';
const GONE = 'c0ffee000000000000000000000000000000000000000000000000000000gone';
const LOCAL_PORTS = { first: 41700, last: 41799 };

async function freePort(): Promise<number> {
  const server = createServer().listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** A GET with the Host given (fetch sends its own). */
function getWithHost(port: number, path: string, host: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, headers: { host, authorization: `Bearer ${TOKEN}` } }, (res) => {
      let body = '';
      res.setEncoding('utf8').on('data', (chunk: string) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject).end();
  });
}

/**
 * Start-up against a slow runtime: every container lookup waits until the test opens the
 * gate, as an engine or API server that answers in seconds would.
 */
describe('startPorthole while stored forwards are being checked', () => {
  let running: RunningPorthole | undefined;
  afterEach(async () => running?.close());

  it('answers the probes at once, holds other requests, and routes no custom domain of a forward removed meanwhile', async () => {
    const runtime = new FakeContainerRuntime([
      { id: KEPT, name: 'kept' },
      { id: GONE, name: 'gone' },
    ]);
    const store = new InMemoryForwardStore();
    const earlier = new ForwardService({
      runtime,
      store,
      localPorts: new RangePortAllocator(LOCAL_PORTS),
      ids: new CryptoIdGenerator(),
      clock: systemClock,
      events: new RecordingPublisher(),
    });
    await earlier.createForward(admin, 'kept', { containerPort: 80, customDomain: 'kept.example.test' });
    await earlier.createForward(admin, 'gone', { containerPort: 80, customDomain: 'gone.example.test' });

    const slow = runtime.slowFinds();
    const port = await freePort();
    const env = {
      PORTHOLE_PORT: String(port),
      PORTHOLE_ADMIN_TOKEN: TOKEN,
      PORTHOLE_DATA_DIR: ':memory:',
      PORTHOLE_LOCAL_PORTS: `${LOCAL_PORTS.first}-${LOCAL_PORTS.last}`,
    };
    const starting = startPorthole(parseConfig(env), { logger: pino({ level: 'silent' }), runtime, store, env });
    const base = `http://127.0.0.1:${port}`;
    const get = (path: string) => fetch(`${base}${path}`, { headers: { authorization: `Bearer ${TOKEN}` }, signal: AbortSignal.timeout(3000) });

    // Listening, and start-up is waiting for the runtime.
    let health: Response | undefined;
    for (let i = 0; i < 100 && health === undefined; i += 1) {
      health = await get('/healthz').catch(() => undefined);
      if (health === undefined) await new Promise((resolve) => setTimeout(resolve, 20));
    }
    expect(health?.status).toBe(200);
    const ready = await get('/readyz');
    expect(ready.status).toBe(503);
    expect(await ready.json()).toEqual({
      error: expect.objectContaining({ code: 'runtime_unavailable', message: expect.stringMatching(/is starting: it is checking its stored forwards/) }),
    });

    // An API request waits for start-up rather than being answered from unchecked state.
    let listed: Response | undefined;
    const listing = get('/api/containers/kept/port-forwards').then((response) => (listed = response));
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(listed).toBeUndefined();

    // A container stops meanwhile: the lifecycle removes its forward while start-up waits.
    runtime.stop(GONE);
    await new Promise((resolve) => setTimeout(resolve, 50));
    slow.fast();
    running = await starting;
    await listing;
    expect(listed?.status).toBe(200);
    expect(((await listed?.json()) as { custom_domain: string }[]).map((forward) => forward.custom_domain)).toEqual(['kept.example.test']);
    expect((await get('/readyz')).status).toBe(200);

    // The kept forward's domain routes to it (nothing listens in the fake: 502 from the
    // proxy); the removed one's is Porthole's own routing again (404 route_not_found).
    const kept = await getWithHost(port, '/x', `kept.example.test:${port}`);
    expect(kept.status).toBe(502);
    const gone = await getWithHost(port, '/x', `gone.example.test:${port}`);
    expect([gone.status, JSON.parse(gone.body).error.code]).toEqual([404, 'route_not_found']);
  });
});
