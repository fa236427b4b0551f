// What the Kubernetes adapter does beyond the shared contract (test/contract): pods named
// by label, pods recreated, compaction (410), RBAC refusals, an unreachable API, and the
// API calls it makes, which deploy/kubernetes/role.yaml must grant exactly. Real
// client-node 1.4.0 against the test API server, over HTTPS with a bearer token.
import { createServer, type Server } from 'node:net';
import { KubeConfig } from '@kubernetes/client-node';
import type { LifecycleEvent } from '@porthole/core';
import { failureOf } from '../../../test/support/runtime-checks';
import { waitFor as waitForWithin } from '../../../test/support/timeouts';
import { KUBERNETES_PERMISSIONS, KubernetesContainerRuntime } from './kubernetes-container-runtime';
import type { DialMode } from './pod-dialer';
import { FakeKubeApiServer } from './testing';

jest.setTimeout(20_000);

const POD_IP = '127.0.0.3';

/** Polls until `probe` gives a value (3 s unless said). */
const waitFor = <T>(what: string, probe: () => T | undefined, ms = 3000): Promise<T> => waitForWithin(what, probe, ms);
let api: FakeKubeApiServer;
let echo: Server;
let echoPort: number;

beforeAll(async () => {
  echo = createServer((socket) => socket.pipe(socket));
  echoPort = await new Promise<number>((resolve) => echo.listen(0, POD_IP, () => resolve((echo.address() as { port: number }).port)));
});

afterAll(async () => {
  await new Promise((resolve) => echo.close(resolve));
});

beforeEach(async () => {
  api = await FakeKubeApiServer.start();
});

afterEach(async () => {
  await api.close();
});

function runtime(dialMode: DialMode = 'direct', options: { requestTimeoutMs?: number } = {}): KubernetesContainerRuntime {
  const kubeConfig = new KubeConfig();
  kubeConfig.loadFromOptions(api.kubeConfigOptions());
  return new KubernetesContainerRuntime(kubeConfig, { namespace: api.namespace, dialMode, reconnectMinMs: 50, ...options });
}

describe('pods named by the porthole.dev/container-id label', () => {
  const labelled = (name: string, extra: object = {}) => ({ name, podIP: POD_IP, labels: { 'porthole.dev/container-id': 'sandbox-7', 'porthole.owner': 'alice' }, ...extra });

  it('finds the pod by its label, reports the label as the id, and its owner', async () => {
    api.upsertPod(labelled('sandbox-7-abcde'));
    const found = await runtime().find('sandbox-7');
    expect(found).toMatchObject({ id: 'sandbox-7', name: 'sandbox-7-abcde', running: true, owner: 'alice' });
    expect(await runtime().find('sandbox-7-abcde')).toMatchObject({ id: 'sandbox-7' });
  });

  it('takes the live pod while the old one is still terminating, as a new life', async () => {
    api.upsertPod(labelled('sandbox-7-old'));
    const old = await runtime().find('sandbox-7');
    api.upsertPod(labelled('sandbox-7-old', { deleting: true }));
    api.upsertPod(labelled('sandbox-7-new'));
    const current = await runtime().find('sandbox-7');
    expect(current).toMatchObject({ id: 'sandbox-7', name: 'sandbox-7-new', running: true });
    expect(current?.incarnation).not.toBe(old?.incarnation);
    // A forward of the old pod never dials the new one.
    const failure = await failureOf(runtime().dial({ containerId: 'sandbox-7', incarnation: old?.incarnation ?? '', port: echoPort }));
    expect(failure.reason).toBe('gone');
  });

  it('never puts a reference that is not a label value into a selector', async () => {
    api.upsertPod(labelled('sandbox-7-abcde'));
    expect(await runtime().find('sandbox-7,app!=x')).toBeNull();
    expect(api.requests.filter((r) => r.verb === 'list')).toEqual([]);
  });
});

describe('a pod recreated under the same name', () => {
  it('is a new life: the old incarnation is gone', async () => {
    api.upsertPod({ name: 'web', podIP: POD_IP });
    const first = await runtime().find('web');
    api.deletePod('web');
    api.upsertPod({ name: 'web', podIP: POD_IP });
    const second = await runtime().find('web');
    expect(second?.incarnation).not.toBe(first?.incarnation);
    const failure = await failureOf(runtime().dial({ containerId: 'web', incarnation: first?.incarnation ?? '', port: echoPort }));
    expect(failure.reason).toBe('gone');
  });
});

describe('the watch', () => {
  it('starts over from a fresh list after 410 Gone, says resumed, and reports stops again', async () => {
    const events: LifecycleEvent[] = [];
    const stop = runtime().watch((event) => events.push(event));
    try {
      await waitFor('an open watch', () => (api.openWatches > 0 ? true : undefined));
      api.expireWatches();
      await waitFor('resumed', () => (events.some((e) => e.type === 'resumed') ? true : undefined));
      api.upsertPod({ name: 'late', podIP: POD_IP });
      api.deletePod('late');
      await waitFor('the deletion', () => (events.some((e) => e.type === 'stopped' && e.containerId === 'late') ? true : undefined));
    } finally {
      stop();
    }
  });

  it('reports a terminating pod once, not on every update while it terminates', async () => {
    api.upsertPod({ name: 'web', podIP: POD_IP });
    const events: LifecycleEvent[] = [];
    const stop = runtime().watch((event) => events.push(event));
    try {
      await waitFor('an open watch', () => (api.openWatches > 0 ? true : undefined));
      api.upsertPod({ name: 'web', deleting: true });
      api.upsertPod({ name: 'web', deleting: true, ready: false });
      api.deletePod('web');
      await waitFor('the stop', () => (events.some((e) => e.type === 'stopped') ? true : undefined));
      await new Promise((r) => setTimeout(r, 300));
      expect(events.filter((e) => e.type === 'stopped')).toEqual([{ type: 'stopped', containerId: 'web', reason: 'pod terminating' }]);
    } finally {
      stop();
    }
  });

  it('reports a pod handed to another owner (its owner label changed) as the end of a life, and no other update', async () => {
    api.upsertPod({ name: 'web', podIP: POD_IP, labels: { 'porthole.owner': 'alice' } });
    const events: LifecycleEvent[] = [];
    const k8s = runtime();
    const before = await k8s.find('web');
    const stop = k8s.watch((event) => events.push(event));
    try {
      await waitFor('an open watch', () => (api.openWatches > 0 ? true : undefined));
      api.upsertPod({ name: 'web', ready: false });
      api.upsertPod({ name: 'web', ready: true });
      api.upsertPod({ name: 'web', labels: { 'porthole.owner': 'bob' } });
      await waitFor('the handover', () => (events.some((e) => e.type === 'stopped') ? true : undefined));
      await new Promise((r) => setTimeout(r, 200));
      expect(events).toEqual([{ type: 'stopped', containerId: 'web', reason: 'pod owner label changed' }]);
      // Alice's forwards are of the old life: never dialed again.
      const failure = await failureOf(k8s.dial({ containerId: 'web', incarnation: before?.incarnation ?? '', port: echoPort }));
      expect(failure.reason).toBe('gone');
    } finally {
      stop();
    }
  });

  it('keeps trying while the API cannot be reached, and resumes once it can', async () => {
    const events: LifecycleEvent[] = [];
    const stop = runtime().watch((event) => events.push(event));
    try {
      await waitFor('an open watch', () => (api.openWatches > 0 ? true : undefined));
      api.setUnavailable(true);
      await new Promise((r) => setTimeout(r, 500));
      expect(events.some((e) => e.type === 'resumed')).toBe(false);
      api.setUnavailable(false);
      await waitFor('resumed', () => (events.some((e) => e.type === 'resumed') ? true : undefined), 8000);
    } finally {
      stop();
    }
  });
});

describe('failures of the API', () => {
  it('turns an RBAC refusal into "unavailable", naming the missing permission', async () => {
    api.upsertPod({ name: 'web', podIP: POD_IP });
    api.forbid('get', 'pods');
    const failure = await failureOf(runtime().find('web'));
    expect(failure.reason).toBe('unavailable');
    expect(failure.message).toMatch(/needs the RBAC permission "get pods in namespace porthole-test"/);
  });

  it('answers "unavailable" when the API cannot be reached', async () => {
    api.setUnavailable(true);
    const failure = await failureOf(runtime('direct', { requestTimeoutMs: 1000 }).ping());
    expect(failure.reason).toBe('unavailable');
  });

  it.each<[DialMode]>([['direct'], ['apiserver']])('answers gone for a pod deleted before a %s dial', async (mode) => {
    api.upsertPod({ name: 'web', podIP: POD_IP });
    const found = await runtime(mode).find('web');
    api.deletePod('web');
    const failure = await failureOf(runtime(mode).dial({ containerId: 'web', incarnation: found?.incarnation ?? '', port: echoPort }));
    expect(failure.reason).toBe('gone');
  });
});

describe('the API calls it makes', () => {
  it('stay within KUBERNETES_PERMISSIONS, which deploy/kubernetes/role.yaml grants', async () => {
    api.upsertPod({ name: 'web', podIP: POD_IP, labels: { 'porthole.dev/container-id': 'sandbox-1' } });
    for (const mode of ['direct', 'apiserver'] as const) {
      const subject = runtime(mode);
      const found = await subject.find('sandbox-1');
      await subject.find('web');
      await subject.ping();
      const socket = await subject.dial({ containerId: 'sandbox-1', incarnation: found?.incarnation ?? '', port: echoPort });
      socket.destroy();
      const stop = subject.watch(() => undefined);
      await waitFor('an open watch', () => (api.openWatches > 0 ? true : undefined));
      stop();
    }
    const granted = new Set(KUBERNETES_PERMISSIONS.flatMap((rule) => rule.resources.flatMap((resource) => rule.verbs.map((verb) => `${verb} ${resource}`))));
    const used = new Set(api.requests.map((request) => `${request.verb} ${request.resource}`));
    expect([...used].sort()).toEqual([...granted].sort());
  });
});

describe('port-forwards the API refuses', () => {
  it('reads RBAC on pods/portforward as "unavailable", naming both verbs', async () => {
    api.upsertPod({ name: 'web', podIP: POD_IP });
    const subject = runtime('apiserver');
    const found = await subject.find('web');
    api.forbid('create', 'pods/portforward');
    const failure = await failureOf(subject.dial({ containerId: 'web', incarnation: found?.incarnation ?? '', port: echoPort }));
    expect(failure.reason).toBe('unavailable');
    expect(failure.message).toMatch(/needs the RBAC permissions "create" and "get" on pods\/portforward/);
  });
});

describe('readiness', () => {
  it('fails while the watch is refused, naming the permission, and recovers once it is granted', async () => {
    const subject = runtime();
    api.forbid('watch', 'pods');
    const stop = subject.watch(() => undefined);
    try {
      await waitFor('the refusal', () => (api.requests.some((r) => r.verb === 'watch') ? true : undefined));
      await new Promise((r) => setTimeout(r, 100));
      const failure = await failureOf(subject.ping());
      expect(failure.message).toMatch(/needs the RBAC permission "watch pods in namespace porthole-test"/);
      api.allow('watch', 'pods');
      await waitFor('an open watch', () => (api.openWatches > 0 ? true : undefined), 8000);
      await expect(subject.ping()).resolves.toBeUndefined();
    } finally {
      stop();
    }
  });
});
