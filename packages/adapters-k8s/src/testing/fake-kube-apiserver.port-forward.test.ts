import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { PassThrough, Writable } from 'node:stream';
import { CoreV1Api, KubeConfig, PortForward, Watch } from '@kubernetes/client-node';
import type WebSocket from 'ws';
import { FakeKubeApiServer } from './index';
import { TEST_TIMEOUT_MS, waitFor } from './test-waits';

// pods/portforward through the real client-node PortForward (v4.channel.k8s.io over wss),
// to "pods" that are TCP servers on 127.0.0.2 (Linux routes all of 127/8 to lo), and the
// RBAC checks the whole fake records.
jest.setTimeout(TEST_TIMEOUT_MS);

const POD_IP = '127.0.0.2';

let server: FakeKubeApiServer;
let kc: KubeConfig;
const pods: Server[] = [];
const sockets: WebSocket[] = [];

/** A "pod" listening on POD_IP that hands every connection to `serve`. */
async function startPod(serve: (socket: Socket) => void): Promise<number> {
  const pod = createServer(serve);
  pods.push(pod);
  pod.listen(0, POD_IP);
  await once(pod, 'listening');
  return (pod.address() as AddressInfo).port;
}

interface Forward {
  readonly ws: WebSocket;
  readonly input: PassThrough;
  readonly received: () => Buffer;
  readonly errors: () => string;
  readonly out: PassThrough;
}

async function forward(pod: string, port: number, config = kc): Promise<Forward> {
  const out = new PassThrough();
  const chunks: Buffer[] = [];
  out.on('data', (chunk: Buffer) => chunks.push(chunk));
  let errors = '';
  const err = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      errors += chunk.toString('utf8');
      callback();
    },
  });
  const input = new PassThrough();
  const ws = (await new PortForward(config).portForward('porthole-test', pod, [port], out, err, input)) as unknown as WebSocket;
  sockets.push(ws);
  return { ws, input, out, received: () => Buffer.concat(chunks), errors: () => errors };
}

function closed(ws: WebSocket): Promise<void> {
  return ws.readyState === ws.CLOSED ? Promise.resolve() : once(ws, 'close').then(() => undefined);
}

beforeEach(async () => {
  server = await FakeKubeApiServer.start();
  kc = new KubeConfig();
  kc.loadFromOptions(server.kubeConfigOptions());
});

afterEach(async () => {
  for (const ws of sockets.splice(0)) ws.terminate();
  await server.close();
  for (const pod of pods.splice(0)) pod.close();
});

it('carries 1 MiB byte-exact both ways to the pod IP, on v4.channel.k8s.io', async () => {
  let remote = '';
  const port = await startPod((socket) => {
    remote = socket.localAddress ?? '';
    socket.pipe(socket);
  });
  server.upsertPod({ name: 'web', podIP: POD_IP });
  const payload = randomBytes(1 << 20);

  const fwd = await forward('web', port);
  fwd.input.write(payload);
  await waitFor('the echo', () => fwd.received().length >= payload.length);

  expect(fwd.ws.protocol).toBe('v4.channel.k8s.io');
  expect(remote).toBe(POD_IP);
  expect(fwd.received().equals(payload)).toBe(true);
  expect(fwd.errors()).toBe('');
});

it('closes the WebSocket when the pod side ends; client-node does not end `out` (the adapter must)', async () => {
  const port = await startPod((socket) => socket.end('bye'));
  server.upsertPod({ name: 'web', podIP: POD_IP });

  const fwd = await forward('web', port);
  await closed(fwd.ws);

  expect(fwd.received().toString()).toBe('bye');
  expect(fwd.out.writableEnded).toBe(false);
});

it('ends the pod connection when the client closes the WebSocket', async () => {
  let podSawEnd: Promise<unknown> | undefined;
  const port = await startPod((socket) => {
    podSawEnd = once(socket, 'end');
    socket.resume();
  });
  server.upsertPod({ name: 'web', podIP: POD_IP });

  const fwd = await forward('web', port);
  fwd.input.write('hello');
  await waitFor('the pod connection', () => podSawEnd !== undefined);
  // client-node closes the WebSocket when its input ends (v4 has no half-close).
  fwd.input.end();

  await closed(fwd.ws);
  await podSawEnd;
});

it.each([
  { desc: "setPortTarget 'refuse'", refuse: true, detail: /connect: connection refused/ },
  { desc: 'nothing listening on the target', refuse: false, detail: /ECONNREFUSED/ },
])('reports a port nobody serves on the error channel and closes ($desc)', async ({ refuse, detail }) => {
  const port = await startPod(() => undefined);
  pods.pop()?.close(); // free the port: nothing listens there any more
  server.upsertPod({ name: 'web', podIP: POD_IP });
  if (refuse) server.setPortTarget('web', port, 'refuse');

  const fwd = await forward('web', port);
  await closed(fwd.ws);

  expect(fwd.errors()).toMatch(new RegExp(`^error forwarding port ${port} to pod [0-9a-f]{64}, uid : `));
  expect(fwd.errors()).toMatch(detail);
  expect(fwd.received().length).toBe(0);
});

it('forwards to another address when told to', async () => {
  const port = await startPod((socket) => socket.end('elsewhere'));
  server.upsertPod({ name: 'web', podIP: '10.0.0.9' });
  server.setPortTarget('web', 80, { host: POD_IP, port });

  const fwd = await forward('web', 80);
  await closed(fwd.ws);

  expect(fwd.received().toString()).toBe('elsewhere');
});

it.each([
  { desc: 'unknown pod: 404', arrange: () => undefined, pod: 'nope', token: undefined, status: 404 },
  { desc: 'pod not running: 500', arrange: (s: FakeKubeApiServer) => s.upsertPod({ name: 'web', phase: 'Succeeded' }), pod: 'web', token: undefined, status: 500 },
  { desc: 'create forbidden: 403', arrange: (s: FakeKubeApiServer) => s.forbid('create', 'pods/portforward'), pod: 'web', token: undefined, status: 403 },
  { desc: 'get forbidden: 403', arrange: (s: FakeKubeApiServer) => s.forbid('get', 'pods/portforward'), pod: 'web', token: undefined, status: 403 },
  { desc: 'wrong token: 401', arrange: () => undefined, pod: 'web', token: 'not-the-token', status: 401 },
])('a refused upgrade rejects the portForward promise ($desc)', async ({ arrange, pod, token, status }) => {
  server.upsertPod({ name: 'web', podIP: POD_IP });
  arrange(server);
  const options = server.kubeConfigOptions();
  const config = new KubeConfig();
  config.loadFromOptions(token === undefined ? options : { ...options, users: [{ name: 'porthole', token }] });

  const error: unknown = await forward(pod, 8080, config).catch((e: unknown) => e);

  // What client-node rejects with: ws's ErrorEvent, whose message has the status and no more.
  expect(error).toMatchObject({ message: `Unexpected server response: ${status}` });
  expect((error as { statusCode?: unknown }).statusCode).toBeUndefined();
});

it('records the RBAC check of every request: what a Role must grant', async () => {
  const port = await startPod((socket) => socket.end());
  server.upsertPod({ name: 'web', podIP: POD_IP, labels: { app: 'web' } });
  const api = kc.makeApiClient(CoreV1Api);

  await api.readNamespacedPod({ name: 'web', namespace: 'porthole-test' });
  await api.listNamespacedPod({ namespace: 'porthole-test', labelSelector: 'app=web' });
  const abort = await new Watch(kc).watch('/api/v1/namespaces/porthole-test/pods', { fieldSelector: 'metadata.name=web' }, () => undefined, () => undefined);
  await waitFor('the watch', () => server.openWatches === 1);
  abort.abort();
  await closed((await forward('web', port)).ws);

  expect(server.requests).toEqual([
    { verb: 'get', resource: 'pods', namespace: 'porthole-test', name: 'web' },
    { verb: 'list', resource: 'pods', namespace: 'porthole-test' },
    { verb: 'watch', resource: 'pods', namespace: 'porthole-test', name: 'web' },
    // A WebSocket upgrade is a GET (`get`); Kubernetes 1.35+ also checks `create`.
    { verb: 'get', resource: 'pods/portforward', namespace: 'porthole-test', name: 'web' },
    { verb: 'create', resource: 'pods/portforward', namespace: 'porthole-test', name: 'web' },
  ]);
});
