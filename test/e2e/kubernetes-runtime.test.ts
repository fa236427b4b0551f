// Porthole end to end with PORTHOLE_RUNTIME=kubernetes, in both dial modes: the server as
// main builds it (config, runtime selection from KUBECONFIG), the real client-node against
// the test API server over HTTPS, and the pod's ports served by real sockets on the pod
// IP. REST, proxy (HTTP and WebSocket), tunnel, host port and lifecycle, as for Docker.
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, connect, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { FakeKubeApiServer } from '../../packages/adapters-k8s/src/testing/index';
import { startHttpEcho, startWsEcho, type HttpEcho, type WsEcho } from '../../packages/http-api/src/testing/fixtures';
import { collect, openWebSocket, rawRequest, sha256 } from '../support/http';
import { E2E_TOKEN, startTestPorthole, type TestPorthole } from '../support/porthole';
import { waitFor } from '../support/timeouts';

jest.setTimeout(30_000);

const auth = { authorization: `Bearer ${E2E_TOKEN}` };
const POD_IP = '127.0.0.1';

describe.each([
  ['direct', 23100],
  ['apiserver', 23200],
] as const)('Porthole on Kubernetes, dialing %s', (dialMode, firstLocalPort) => {
  let api: FakeKubeApiServer;
  let dir: string;
  let porthole: TestPorthole;
  let http: HttpEcho;
  let ws: WsEcho;
  let tcp: Server;
  let tcpPort: number;

  beforeAll(async () => {
    api = await FakeKubeApiServer.start();
    dir = mkdtempSync(path.join(tmpdir(), 'porthole-k8s-e2e-'));
    [http, ws] = await Promise.all([startHttpEcho(), startWsEcho()]);
    tcp = createServer((socket) => socket.pipe(socket));
    tcpPort = await new Promise<number>((resolve) => tcp.listen(0, POD_IP, () => resolve((tcp.address() as { port: number }).port)));
    porthole = await startTestPorthole({
      PORTHOLE_RUNTIME: 'kubernetes',
      KUBECONFIG: api.writeKubeconfig(dir),
      PORTHOLE_K8S_DIAL: dialMode,
      PORTHOLE_LOCAL_PORTS: `${firstLocalPort}-${firstLocalPort + 99}`,
    });
  });

  afterAll(async () => {
    await porthole?.close();
    await api?.close();
    await Promise.all([http?.close(), ws?.close(), new Promise((resolve) => tcp?.close(resolve))]);
    rmSync(dir, { recursive: true, force: true });
  });

  const pod = (name: string, extra: object = {}) => api.upsertPod({ name, podIP: POD_IP, ...extra });
  const fresh = (prefix: string) => `${prefix}-${randomBytes(3).toString('hex')}`;
  const create = (container: string, port: number) => porthole.api('POST', `/api/containers/${container}/port-forwards`, { container_port: port });

  it('creates, lists and deletes forwards of a pod named by its name or its container-id label', async () => {
    const byName = fresh('web');
    pod(byName);
    const labelled = fresh('sbx');
    pod(labelled, { labels: { 'porthole.dev/container-id': `${labelled}-id` } });
    const first = await create(byName, http.address.port);
    expect(first.status).toBe(201);
    expect(first.json).toMatchObject({ container_id: byName, container_port: http.address.port });
    const second = await create(`${labelled}-id`, http.address.port);
    expect(second.json).toMatchObject({ container_id: `${labelled}-id` });
    expect((await porthole.api('GET', `/api/containers/${byName}/port-forwards`)).json).toHaveLength(1);
    expect((await porthole.api('DELETE', `/api/containers/${byName}/port-forwards/${first.json.id}`)).status).toBe(204);
  });

  it.each([
    ['a pending pod', { phase: 'Pending' }, 409, 'container_not_running'],
    ['a terminating pod', { deleting: true }, 409, 'container_not_running'],
  ])('refuses %s with %d', async (_name, state, status, code) => {
    const name = fresh('p');
    pod(name, state);
    const result = await create(name, http.address.port);
    expect(result.status).toBe(status);
    expect(result.json.error.code).toBe(code);
  });

  it('answers 503 naming the RBAC permission Porthole lacks', async () => {
    const name = fresh('web');
    pod(name);
    api.forbid('get', 'pods');
    try {
      const result = await create(name, http.address.port);
      expect(result.status).toBe(503);
      expect(result.json.error.code).toBe('runtime_unavailable');
      expect(result.json.error.message).toMatch(/RBAC permission "get pods in namespace porthole-test"/);
    } finally {
      api.allow('get', 'pods');
    }
  });

  it('answers 404 for a pod that does not exist', async () => {
    expect((await create('no-such-pod', 80)).status).toBe(404);
  });

  it('proxies HTTP: path and query as sent, a 1 MB body intact', async () => {
    const name = fresh('web');
    pod(name);
    const forward = (await create(name, http.address.port)).json;
    const got = await rawRequest(porthole.url, { path: `/p/${forward.id}/hello%2F?x=1`, headers: auth });
    expect(JSON.parse(got.body.toString()).url).toBe('/hello%2F?x=1');
    const body = randomBytes(1024 * 1024);
    const posted = await rawRequest(porthole.url, { method: 'POST', path: `/p/${forward.id}/upload`, headers: auth, body });
    expect(JSON.parse(posted.body.toString()).bodySha256).toBe(sha256(body));
  });

  it('proxies a WebSocket upgrade', async () => {
    const name = fresh('ws');
    pod(name);
    const forward = (await create(name, ws.address.port)).json;
    const opened = await openWebSocket(`${porthole.url.replace('http', 'ws')}/p/${forward.id}/room?r=1`, { headers: auth });
    await waitFor('the hello', () => (opened.messages.length > 0 ? true : undefined), 5000);
    expect(JSON.parse((opened.messages[0] as Buffer).toString()).url).toBe('/room?r=1');
    opened.ws.close();
  });

  it('carries bytes through the tunnel and the host port', async () => {
    const name = fresh('tcp');
    pod(name);
    const forward = (await create(name, tcpPort)).json;
    const tunnel = await openWebSocket(forward.websocket_url, { protocols: ['Bearer', E2E_TOKEN] });
    const payload = randomBytes(200 * 1024);
    tunnel.ws.send(payload);
    expect((await collect(tunnel.messages, payload.length, 10_000)).equals(payload)).toBe(true);
    tunnel.ws.close();

    const socket = connect(forward.local_port, '127.0.0.1');
    const received: Buffer[] = [];
    socket.on('data', (chunk: Buffer) => received.push(chunk));
    socket.write('over the host port');
    await waitFor('the echo', () => (Buffer.concat(received).toString() === 'over the host port' ? true : undefined), 5000);
    socket.destroy();
  });

  it('answers 502 for a port of the pod nothing listens on', async () => {
    const name = fresh('web');
    pod(name);
    const closed = await new Promise<number>((resolve) => {
      const probe = createServer().listen(0, POD_IP, () => {
        const { port } = probe.address() as { port: number };
        probe.close(() => resolve(port));
      });
    });
    const forward = (await create(name, closed)).json;
    const got = await rawRequest(porthole.url, { path: `/p/${forward.id}/`, headers: auth });
    expect(got.status).toBe(502);
    expect(JSON.parse(got.body.toString()).error.code).toBe('upstream_unreachable');
  });

  it('removes the forwards of a deleted pod and closes their tunnels within 2 s', async () => {
    const name = fresh('tcp');
    pod(name);
    const forward = (await create(name, tcpPort)).json;
    const tunnel = await openWebSocket(forward.websocket_url, { protocols: ['Bearer', E2E_TOKEN] });
    const deletedAt = Date.now();
    api.deletePod(name);
    await tunnel.closed;
    expect(Date.now() - deletedAt).toBeLessThan(2000);
    await waitFor(
      'the forward gone',
      async () => ((await rawRequest(porthole.url, { path: `/p/${forward.id}/`, headers: auth })).status === 404 ? true : undefined),
      2000,
    );
  });
});
