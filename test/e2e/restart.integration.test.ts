/**
 * Durable forwards (issue 6): real server processes over one real SQLite file in a
 * PORTHOLE_DATA_DIR, real containers. A graceful restart and a `kill -9` in the middle of
 * a burst of creates must both leave every acknowledged forward in place, with the same
 * id, proxy_url and local_port, and nothing half-written or over the cap.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { SqliteForwardStore } from '../../packages/adapters-sqlite/src/index';
import { rawRequest } from '../support/http';
import { describeDocker, freePort, removeTestContainers, startFixtureContainer, type FixtureContainer } from '../support/docker';
import { startServer, type ServerProcess } from '../support/server-process';
import { TIMEOUTS } from '../support/timeouts';

const TOKEN = 'restart-test-token-0123456789abcdef';
const MAX_PER_CONTAINER = 10;

interface ForwardJson {
  id: string;
  container_id: string;
  container_port: number;
  local_port: number;
  name: string | null;
  custom_domain: string | null;
  proxy_url: string;
  websocket_url: string;
  created_at: string;
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- JSON of several shapes, checked by the assertions
async function api(server: ServerProcess, method: string, path: string, body?: unknown): Promise<{ status: number; json: any }> {
  const response = await fetch(`${server.url}${path}`, {
    method,
    headers: { authorization: `Bearer ${TOKEN}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await response.text();
  return { status: response.status, json: text === '' ? undefined : JSON.parse(text) };
}

async function stopGracefully(server: ServerProcess): Promise<void> {
  server.child.kill('SIGTERM');
  expect(await server.exited).toBe(0);
}

/** Sends a line to a TCP echo through a host port and returns what came back. */
function echoThroughHostPort(port: number, text: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1', () => socket.write(text));
    let got = '';
    socket.on('data', (chunk: Buffer) => {
      got += chunk.toString();
      if (got.length >= text.length) {
        socket.destroy();
        resolve(got);
      }
    });
    socket.on('error', reject);
    setTimeout(() => reject(new Error(`no echo through port ${port}; got ${JSON.stringify(got)}`)), 5000).unref();
  });
}

/** JSON log lines of the process (pino on stdout). */
function logLines(server: ServerProcess): { msg: string; [key: string]: unknown }[] {
  return server
    .stdout()
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as { msg: string });
}

describeDocker('forwards survive restarts (PORTHOLE_DATA_DIR, real SQLite file)', () => {
  let dataDir: string;
  let port: number;
  let web: FixtureContainer;
  let doomed: FixtureContainer;
  let env: Record<string, string>;
  let requestedLocal: number;

  beforeAll(async () => {
    [web, doomed] = await Promise.all([startFixtureContainer(), startFixtureContainer()]);
  }, TIMEOUTS.engineHook);
  afterAll(() => removeTestContainers(), TIMEOUTS.engineHook);

  beforeEach(async () => {
    dataDir = mkdtempSync(path.join(tmpdir(), 'porthole-restart-'));
    // The same address on every start: proxy_url is built from it.
    port = await freePort();
    // A host port range starting at a port known to be free, for a requested local_port.
    requestedLocal = await freePort();
    env = {
      PORTHOLE_LOCAL_PORTS: `${requestedLocal}-${Math.min(requestedLocal + 50, 65535)}`,
      PORTHOLE_PORT: String(port),
      PORTHOLE_ADMIN_TOKEN: TOKEN,
      PORTHOLE_DATA_DIR: dataDir,
      PORTHOLE_LOG_LEVEL: 'info',
      PORTHOLE_MAX_FORWARDS_PER_CONTAINER: String(MAX_PER_CONTAINER),
    };
  });
  afterEach(() => rmSync(dataDir, { recursive: true, force: true }));

  it('keeps ids, proxy_url and local_port across a restart, and drops those whose container stopped meanwhile', async () => {
    const first = await startServer(env);
    let second: ServerProcess | undefined;
    try {
      const tcp = await api(first, 'POST', `/api/containers/${web.id}/port-forwards`, { container_port: web.tcpPort, local_port: requestedLocal });
      const http = await api(first, 'POST', `/api/containers/${web.id}/port-forwards`, { container_port: web.httpPort, name: 'web', custom_domain: 'kept.example.test' });
      const gone = await api(first, 'POST', `/api/containers/${doomed.id}/port-forwards`, { container_port: doomed.httpPort, custom_domain: 'freed.example.test' });
      expect([http.status, tcp.status, gone.status]).toEqual([201, 201, 201]);
      await stopGracefully(first);

      // While Porthole is down, one container stops: its forward must not come back.
      await doomed.stop();
      second = await startServer(env);

      const listed = await api(second, 'GET', `/api/containers/${web.id}/port-forwards`);
      expect(listed.status).toBe(200);
      expect(listed.json as ForwardJson[]).toEqual([tcp.json, http.json]);
      expect((await api(second, 'GET', `/api/containers/${doomed.id}/port-forwards`)).json).toEqual([]);

      // The banner says Porthole serves: what start-up found is already in the log above it.
      const out = second.stdout();
      expect(out.indexOf('removed a stored forward at start-up')).toBeGreaterThanOrEqual(0);
      expect(out.indexOf('"forwards restored"')).toBeLessThan(out.indexOf('Porthole is listening on'));
      expect(out.indexOf('removed a stored forward at start-up')).toBeLessThan(out.indexOf('Porthole is listening on'));
      const removedLines = logLines(second).filter((line) => line.forwardId === gone.json.id);
      expect(removedLines).toEqual([
        expect.objectContaining({ msg: 'removed a stored forward at start-up: container is exited', reason: 'container is exited' }),
      ]);
      // The audit trail says so too.
      expect(logLines(second).filter((line) => line.audit === 'forward.removed')).toEqual([
        expect.objectContaining({ forward: gone.json.id, container: doomed.id, reason: 'reconciled: container is exited', principal: null }),
      ]);

      // The custom domain of a kept forward routes again (a Host on loopback, no DNS),
      // and that of a dropped one is free for another forward.
      const byDomain = await rawRequest(second.url, { path: '/by-domain', headers: { host: `kept.example.test:${port}`, authorization: `Bearer ${TOKEN}` } });
      expect([byDomain.status, JSON.parse(byDomain.body.toString()).url]).toEqual([200, '/by-domain']);
      const retaken = await api(second, 'POST', `/api/containers/${web.id}/port-forwards`, { container_port: 7777, custom_domain: 'freed.example.test' });
      expect([retaken.status, retaken.json.custom_domain]).toEqual([201, 'freed.example.test']);

      // Served as before: the proxy by the same URL, the TCP port on the same host port.
      const proxied = await fetch(`${(http.json as ForwardJson).proxy_url}restarted?x=1`, { headers: { authorization: `Bearer ${TOKEN}` } });
      expect(proxied.status).toBe(200);
      expect(((await proxied.json()) as { url: string }).url).toBe('/restarted?x=1');
      expect((tcp.json as ForwardJson).local_port).toBe(requestedLocal);
      expect(await echoThroughHostPort(requestedLocal, 'after restart\n')).toBe('after restart\n');

      // The restored forwards still count: the duplicate rule holds across the restart.
      const duplicate = await api(second, 'POST', `/api/containers/${web.id}/port-forwards`, { container_port: web.httpPort });
      expect([duplicate.status, duplicate.json.error.code]).toEqual([403, 'port_already_forwarded']);
    } finally {
      first.child.kill('SIGKILL');
      second?.child.kill('SIGKILL');
      await Promise.all([first.exited, second?.exited]);
      if ((await doomed.inspect()).State.Running !== true) await doomed.start();
    }
  }, 60_000);

  it('after kill -9 in the middle of a burst of creates: every 201 is there, nothing half-written, never over the cap', async () => {
    const first = await startServer(env);
    let second: ServerProcess | undefined;
    try {
      // 40 creates at once on distinct ports of one container: at most 10 may succeed.
      const acknowledged: ForwardJson[] = [];
      let killed = false;
      const attempts = Array.from({ length: 40 }, (_, i) => 10_000 + i).map(async (containerPort) => {
          try {
            const created = await api(first, 'POST', `/api/containers/${web.id}/port-forwards`, { container_port: containerPort });
            if (created.status === 201) {
              acknowledged.push(created.json as ForwardJson);
              // The kill comes right after a few acknowledgements, with the rest in flight.
              if (acknowledged.length === 3 && !killed) {
                killed = true;
                first.child.kill('SIGKILL');
              }
            }
          } catch {
            // The connection died with the process: not acknowledged.
          }
      });
      await Promise.all(attempts);
      expect(killed).toBe(true);
      expect(await first.exited).toBe('SIGKILL');

      // The file itself: a consistent database, nothing over the cap.
      const store = new SqliteForwardStore(path.join(dataDir, 'porthole.db'));
      const stored = await store.listAll();
      store.close();
      expect(stored.length).toBeLessThanOrEqual(MAX_PER_CONTAINER);
      expect(stored.length).toBeGreaterThanOrEqual(acknowledged.length);
      for (const forward of stored) {
        expect(forward).toMatchObject({ containerId: web.id, incarnation: expect.any(String), localPort: expect.any(Number) });
        expect(Number.isNaN(forward.createdAt.getTime())).toBe(false);
      }

      second = await startServer(env);
      const listed = (await api(second, 'GET', `/api/containers/${web.id}/port-forwards`)).json as ForwardJson[];
      const listedIds = new Set(listed.map((f) => f.id));
      for (const forward of acknowledged) {
        expect(listedIds.has(forward.id)).toBe(true);
        expect(listed.find((f) => f.id === forward.id)).toEqual(forward);
      }
      expect(listed.length).toBeLessThanOrEqual(MAX_PER_CONTAINER);
      // The cap still holds after the restart, counting what the crash left.
      const more = await Promise.all(
        Array.from({ length: MAX_PER_CONTAINER }, (_, i) => api(second!, 'POST', `/api/containers/${web.id}/port-forwards`, { container_port: 11_000 + i })),
      );
      expect(more.filter((r) => r.status === 201)).toHaveLength(MAX_PER_CONTAINER - listed.length);
      expect(more.filter((r) => r.status !== 201).every((r) => r.status === 429 && r.json.error.code === 'limit_exceeded')).toBe(true);
    } finally {
      first.child.kill('SIGKILL');
      second?.child.kill('SIGKILL');
      await Promise.all([first.exited, second?.exited]);
    }
  }, 60_000);
});
