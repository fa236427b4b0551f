import { mkdtempSync, rmSync } from 'node:fs';
import { get } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ApiException, CoreV1Api, Health, KubeConfig, type V1Pod } from '@kubernetes/client-node';
import { FakeKubeApiServer, type FakePodSpec } from './index';
import { TEST_TIMEOUT_MS } from './test-waits';

// The fake driven by the real @kubernetes/client-node 1.4.0, over HTTPS with caData and a
// bearer token: REST, authentication, RBAC, configuration files. Watch and port-forward
// have their own files.
jest.setTimeout(TEST_TIMEOUT_MS);

let server: FakeKubeApiServer;
let api: CoreV1Api;

function clientOf(options = server.kubeConfigOptions()): CoreV1Api {
  const kc = new KubeConfig();
  kc.loadFromOptions(options);
  return kc.makeApiClient(CoreV1Api);
}

/** The rejection of `promise`, which must be an ApiException. */
async function apiError(promise: Promise<unknown>): Promise<{ code: number; status: { reason: string; message: string; code: number } }> {
  const error: unknown = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!(error instanceof ApiException)) throw new Error(`expected an ApiException, got ${String(error)}`);
  return { code: error.code, status: JSON.parse(String(error.body)) as { reason: string; message: string; code: number } };
}

/** A GET without client-node, for what it hides (its 401 ApiException carries no body). */
function rawGet(path: string, token: string): Promise<{ status: number; contentType: string; body: string }> {
  return new Promise((resolve, reject) => {
    const ca = Buffer.from(server.caData, 'base64');
    get(`${server.url}${path}`, { ca, headers: { authorization: `Bearer ${token}` } }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, contentType: res.headers['content-type'] ?? '', body }));
    }).on('error', reject);
  });
}

const names = (pods: V1Pod[]): string[] => pods.map((pod) => pod.metadata?.name ?? '?');

beforeEach(async () => {
  server = await FakeKubeApiServer.start();
  api = clientOf();
});

afterEach(() => server.close());

describe('pods', () => {
  it('serves a pod that looks like a real one', async () => {
    const seeded = server.upsertPod({ name: 'web', labels: { app: 'web', 'porthole.owner': 'alice' } });

    const pod = await api.readNamespacedPod({ name: 'web', namespace: 'porthole-test' });

    expect(pod.apiVersion).toBe('v1');
    expect(pod.kind).toBe('Pod');
    expect(pod.metadata).toMatchObject({ name: 'web', namespace: 'porthole-test', uid: seeded.metadata.uid, labels: { app: 'web', 'porthole.owner': 'alice' } });
    expect(pod.metadata?.resourceVersion).toMatch(/^\d+$/);
    expect(pod.metadata?.creationTimestamp).toBeInstanceOf(Date);
    expect(pod.metadata?.deletionTimestamp).toBeUndefined();
    expect(pod.status?.phase).toBe('Running');
    expect(pod.status?.podIP).toBe('127.0.0.1');
    expect(pod.status?.podIPs).toEqual([{ ip: '127.0.0.1' }]);
    expect(pod.status?.conditions?.find((c) => c.type === 'Ready')?.status).toBe('True');
    expect(pod.status?.containerStatuses).toEqual([
      expect.objectContaining({ name: 'app', ready: true, restartCount: 0, state: { running: { startedAt: expect.any(Date) } } }),
    ]);
  });

  it.each<{ desc: string; spec: Omit<FakePodSpec, 'name'>; ready: boolean; podIP: string | undefined; state: string; deleting: boolean }>([
    { desc: 'defaults: running and ready', spec: {}, ready: true, podIP: '127.0.0.1', state: 'running', deleting: false },
    { desc: 'running, not ready', spec: { ready: false }, ready: false, podIP: '127.0.0.1', state: 'running', deleting: false },
    { desc: 'pending: no IP yet, never ready', spec: { phase: 'Pending' }, ready: false, podIP: undefined, state: 'waiting', deleting: false },
    { desc: 'succeeded: terminated, never ready', spec: { phase: 'Succeeded' }, ready: false, podIP: '127.0.0.1', state: 'terminated', deleting: false },
    { desc: 'failed', spec: { phase: 'Failed', podIP: '10.1.2.3' }, ready: false, podIP: '10.1.2.3', state: 'terminated', deleting: false },
    { desc: 'terminating', spec: { deleting: true }, ready: true, podIP: '127.0.0.1', state: 'running', deleting: true },
  ])('$desc', async ({ spec, ready, podIP, state, deleting }) => {
    server.upsertPod({ name: 'web', ...spec });

    const pod = await api.readNamespacedPod({ name: 'web', namespace: 'porthole-test' });

    expect(pod.status?.containerStatuses?.[0]?.ready).toBe(ready);
    expect(pod.status?.conditions?.find((c) => c.type === 'Ready')?.status).toBe(ready ? 'True' : 'False');
    expect(pod.status?.podIP).toBe(podIP);
    expect(Object.keys(pod.status?.containerStatuses?.[0]?.state ?? {})).toEqual([state]);
    expect(pod.metadata?.deletionTimestamp !== undefined).toBe(deleting);
  });

  it('keeps the uid across updates, gives a recreated pod a new one, and a restart a new container', () => {
    const first = server.upsertPod({ name: 'web', labels: { app: 'web' } });
    const updated = server.upsertPod({ name: 'web', ready: false });
    const restarted = server.upsertPod({ name: 'web', restartCount: 1 });
    server.deletePod('web');
    const recreated = server.upsertPod({ name: 'web' });

    expect(updated.metadata.uid).toBe(first.metadata.uid);
    expect(updated.metadata.labels).toEqual({ app: 'web' });
    expect(Number(updated.metadata.resourceVersion)).toBeGreaterThan(Number(first.metadata.resourceVersion));
    expect(restarted.status.containerStatuses[0]?.containerID).not.toBe(updated.status.containerStatuses[0]?.containerID);
    expect(recreated.metadata.uid).not.toBe(first.metadata.uid);
    expect(server.pod('nope')).toBeUndefined();
  });

  it('answers 404 with a NotFound Status for an unknown pod', async () => {
    const { code, status } = await apiError(api.readNamespacedPod({ name: 'nope', namespace: 'porthole-test' }));

    expect(code).toBe(404);
    expect(status).toMatchObject({ kind: 'Status', code: 404, reason: 'NotFound', message: 'pods "nope" not found' });
  });

  it('lists by label and by name, with the list resourceVersion', async () => {
    server.upsertPod({ name: 'a', labels: { app: 'web' } });
    server.upsertPod({ name: 'b', labels: { app: 'db' } });
    const last = server.upsertPod({ name: 'c', namespace: 'other', labels: { app: 'web' } });

    const web = await api.listNamespacedPod({ namespace: 'porthole-test', labelSelector: 'app=web' });
    const byName = await api.listNamespacedPod({ namespace: 'porthole-test', fieldSelector: 'metadata.name=b' });
    const everywhere = await api.listPodForAllNamespaces({ labelSelector: 'app==web' });
    const notDb = await api.listNamespacedPod({ namespace: 'porthole-test', labelSelector: 'app!=db' });

    expect(names(web.items)).toEqual(['a']);
    expect(web.metadata?.resourceVersion).toBe(last.metadata.resourceVersion);
    expect(names(byName.items)).toEqual(['b']);
    expect(names(everywhere.items)).toEqual(['c', 'a']);
    expect(names(notDb.items)).toEqual(['a']);
  });

  it('pages a list with limit and continue', async () => {
    for (const name of ['a', 'b', 'c']) server.upsertPod({ name });

    const first = await api.listNamespacedPod({ namespace: 'porthole-test', limit: 2 });
    const rest = await api.listNamespacedPod({ namespace: 'porthole-test', limit: 2, _continue: first.metadata?._continue ?? '' });

    expect(names(first.items)).toEqual(['a', 'b']);
    expect(first.metadata?.remainingItemCount).toBe(1);
    expect(names(rest.items)).toEqual(['c']);
    expect(rest.metadata?._continue).toBeUndefined();
  });

  it('answers 400 to a selector it cannot read', async () => {
    const { code, status } = await apiError(api.listNamespacedPod({ namespace: 'porthole-test', fieldSelector: 'spec.foo=bar' }));

    expect(code).toBe(400);
    expect(status).toMatchObject({ reason: 'BadRequest', message: 'field label not supported: spec.foo' });
  });

  it('answers the health and version endpoints', async () => {
    const kc = new KubeConfig();
    kc.loadFromOptions(server.kubeConfigOptions());

    await expect(new Health(kc).readyz({})).resolves.toBe(true);
    const version = await rawGet('/version', server.token);
    expect(JSON.parse(version.body)).toMatchObject({ major: '1', gitVersion: expect.stringMatching(/^v1\./) });
  });
});

describe('authentication and RBAC', () => {
  it('answers 401 to a wrong token and records nothing', async () => {
    const options = server.kubeConfigOptions();
    const wrong = clientOf({ ...options, users: [{ name: 'porthole', token: 'not-the-token' }] });
    server.upsertPod({ name: 'web' });

    const error: unknown = await wrong.readNamespacedPod({ name: 'web', namespace: 'porthole-test' }).catch((e: unknown) => e);
    const raw = await rawGet('/api/v1/namespaces/porthole-test/pods/web', 'not-the-token');

    expect(error).toBeInstanceOf(ApiException);
    expect((error as ApiException<unknown>).code).toBe(401);
    // client-node's generated code drops the body of a 401; the server does send one.
    expect((error as ApiException<unknown>).body).toBeUndefined();
    expect(raw.status).toBe(401);
    expect(raw.contentType).toBe('application/json');
    expect(JSON.parse(raw.body)).toMatchObject({ kind: 'Status', reason: 'Unauthorized', code: 401 });
    expect(server.requests).toEqual([]);
  });

  it('answers 403 with the RBAC wording after forbid, and serves again after allow', async () => {
    server.upsertPod({ name: 'web' });
    server.forbid('list', 'pods');

    const { code, status } = await apiError(api.listNamespacedPod({ namespace: 'porthole-test' }));
    await expect(api.readNamespacedPod({ name: 'web', namespace: 'porthole-test' })).resolves.toBeDefined();

    expect(code).toBe(403);
    expect(status).toMatchObject({
      reason: 'Forbidden',
      message: 'pods is forbidden: User "system:serviceaccount:porthole-test:porthole" cannot list resource "pods" in API group "" in the namespace "porthole-test"',
    });
    server.allow('list', 'pods');
    await expect(api.listNamespacedPod({ namespace: 'porthole-test' })).resolves.toBeDefined();
  });

  it('names the pod in a 403 for a get', async () => {
    server.forbid('get', 'pods');

    const { status } = await apiError(api.readNamespacedPod({ name: 'web', namespace: 'porthole-test' }));

    expect(status.message).toBe(
      'pods "web" is forbidden: User "system:serviceaccount:porthole-test:porthole" cannot get resource "pods" in API group "" in the namespace "porthole-test"',
    );
  });
});

describe('outage', () => {
  it('cuts every connection while unavailable, and serves again after', async () => {
    server.upsertPod({ name: 'web' });
    server.setUnavailable(true);

    const error: unknown = await api.readNamespacedPod({ name: 'web', namespace: 'porthole-test' }).catch((e: unknown) => e);

    expect(error).toBeInstanceOf(Error);
    expect(error).not.toBeInstanceOf(ApiException);
    expect(String(error)).toMatch(/ECONNRESET|socket hang up|disconnected/);
    server.setUnavailable(false);
    await expect(api.readNamespacedPod({ name: 'web', namespace: 'porthole-test' })).resolves.toBeDefined();
  });
});

describe('client configuration', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'fake-kube-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('writes a kubeconfig file that client-node loads', async () => {
    server.upsertPod({ name: 'web' });
    const kc = new KubeConfig();

    kc.loadFromFile(server.writeKubeconfig(dir));

    expect(kc.getContextObject(kc.getCurrentContext())?.namespace).toBe('porthole-test');
    const pod = await kc.makeApiClient(CoreV1Api).readNamespacedPod({ name: 'web', namespace: 'porthole-test' });
    expect(pod.metadata?.name).toBe('web');
  });

  it('writes the service account files of the in-cluster configuration', async () => {
    server.upsertPod({ name: 'web' });
    const { pathPrefix, env } = server.writeServiceAccount(dir);
    const saved = { host: process.env.KUBERNETES_SERVICE_HOST, port: process.env.KUBERNETES_SERVICE_PORT };
    const kc = new KubeConfig();
    try {
      Object.assign(process.env, env);
      kc.loadFromCluster(pathPrefix);
    } finally {
      for (const [key, value] of [['KUBERNETES_SERVICE_HOST', saved.host], ['KUBERNETES_SERVICE_PORT', saved.port]] as const) {
        if (value === undefined) delete process.env[key];
        else process.env[key] = value;
      }
    }

    expect(kc.getContextObject(kc.getCurrentContext())?.namespace).toBe('porthole-test');
    const pod = await kc.makeApiClient(CoreV1Api).readNamespacedPod({ name: 'web', namespace: 'porthole-test' });
    expect(pod.metadata?.name).toBe('web');
  });
});
