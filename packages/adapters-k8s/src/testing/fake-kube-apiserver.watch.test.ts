import { CoreV1Api, KubeConfig, Watch } from '@kubernetes/client-node';
import { FakeKubeApiServer } from './index';
import { TEST_TIMEOUT_MS, waitFor } from './test-waits';

// Pod watches through the real client-node Watch: NDJSON events, filtered watches, the
// server ending a watch, 410 after a compaction, errors before the stream.
jest.setTimeout(TEST_TIMEOUT_MS);

const PODS = '/api/v1/namespaces/porthole-test/pods';

interface SeenEvent {
  readonly type: string;
  readonly name: string | undefined;
  readonly code: number | undefined;
  readonly resourceVersion: string | undefined;
}

interface OpenedWatch {
  readonly events: SeenEvent[];
  /** What done() was called with; the string 'open' until then. */
  doneWith(): unknown;
  readonly abort: AbortController;
}

let server: FakeKubeApiServer;
let kc: KubeConfig;
const opened: OpenedWatch[] = [];

async function watch(query: Record<string, string> = {}, path = PODS, config = kc): Promise<OpenedWatch> {
  const events: SeenEvent[] = [];
  let done: unknown = 'open';
  const abort = await new Watch(config).watch(
    path,
    query,
    (type: string, object: { metadata?: { name?: string; resourceVersion?: string }; code?: number }) =>
      events.push({ type, name: object.metadata?.name, code: object.code, resourceVersion: object.metadata?.resourceVersion }),
    (error: unknown) => {
      done = error;
    },
  );
  const result = { events, doneWith: () => done, abort };
  opened.push(result);
  return result;
}

const summary = (events: SeenEvent[]): string[] => events.map((event) => `${event.type} ${event.name ?? event.code}`);

beforeEach(async () => {
  server = await FakeKubeApiServer.start();
  kc = new KubeConfig();
  kc.loadFromOptions(server.kubeConfigOptions());
});

afterEach(async () => {
  for (const { abort } of opened.splice(0)) abort.abort();
  await server.close();
});

it('sends ADDED for the current pods, then ADDED, MODIFIED and DELETED as they happen', async () => {
  server.upsertPod({ name: 'old' });
  const w = await watch();
  await waitFor('the current pod', () => w.events.length === 1);

  const added = server.upsertPod({ name: 'web' });
  server.upsertPod({ name: 'web', ready: false });
  server.deletePod('web');
  await waitFor('three events', () => w.events.length === 4);

  expect(summary(w.events)).toEqual(['ADDED old', 'ADDED web', 'MODIFIED web', 'DELETED web']);
  expect(w.events[1]?.resourceVersion).toBe(added.metadata.resourceVersion);
  // The deletion has a version of its own, newer than the last change.
  expect(Number(w.events[3]?.resourceVersion)).toBeGreaterThan(Number(w.events[2]?.resourceVersion));
  expect(server.openWatches).toBe(1);
  expect(w.doneWith()).toBe('open');
});

it('from a resourceVersion, sends only what changed after it', async () => {
  server.upsertPod({ name: 'a' });
  const list = await kc.makeApiClient(CoreV1Api).listNamespacedPod({ namespace: 'porthole-test' });
  server.upsertPod({ name: 'a', restartCount: 1 });
  server.upsertPod({ name: 'b' });

  const w = await watch({ resourceVersion: list.metadata?.resourceVersion ?? '', allowWatchBookmarks: 'true' });
  await waitFor('two events', () => w.events.length === 2);

  expect(summary(w.events)).toEqual(['MODIFIED a', 'ADDED b']);
});

it('filters by label and by name; a pod that stops matching is DELETED for the watch', async () => {
  const byLabel = await watch({ labelSelector: 'app=web' });
  const byName = await watch({ fieldSelector: 'metadata.name=b' });

  server.upsertPod({ name: 'a', labels: { app: 'web' } });
  server.upsertPod({ name: 'b', labels: { app: 'db' } });
  server.upsertPod({ name: 'a', labels: { app: 'db' } });
  server.upsertPod({ name: 'b', labels: { app: 'web' } });
  await waitFor('events', () => byLabel.events.length === 3 && byName.events.length === 2);

  expect(summary(byLabel.events)).toEqual(['ADDED a', 'DELETED a', 'ADDED b']);
  expect(summary(byName.events)).toEqual(['ADDED b', 'MODIFIED b']);
});

it('closeWatches ends every watch: done(null)', async () => {
  const w = await watch();
  await waitFor('the watch to be open', () => server.openWatches === 1);

  server.closeWatches();
  await waitFor('done', () => w.doneWith() !== 'open');

  expect(w.doneWith()).toBeNull();
  expect(server.openWatches).toBe(0);
});

it('a client abort closes the watch on the server', async () => {
  const w = await watch();
  await waitFor('the watch to be open', () => server.openWatches === 1);

  w.abort.abort();

  await waitFor('the server to see it', () => server.openWatches === 0);
});

it('expireWatches sends ERROR 410 and ends; an older resourceVersion then answers 410, a fresh list does not', async () => {
  server.upsertPod({ name: 'a' });
  const before = (await kc.makeApiClient(CoreV1Api).listNamespacedPod({ namespace: 'porthole-test' })).metadata?.resourceVersion ?? '';
  server.upsertPod({ name: 'b' });
  const w = await watch({ resourceVersion: before });
  await waitFor('the change', () => w.events.length === 1);

  server.expireWatches();
  await waitFor('done', () => w.doneWith() !== 'open');
  const again = await watch({ resourceVersion: before });
  await waitFor('done', () => again.doneWith() !== 'open');
  const fresh = (await kc.makeApiClient(CoreV1Api).listNamespacedPod({ namespace: 'porthole-test' })).metadata?.resourceVersion ?? '';
  const resumed = await watch({ resourceVersion: fresh });
  server.upsertPod({ name: 'c' });
  await waitFor('the new pod', () => resumed.events.length === 1);

  expect(summary(w.events)).toEqual(['ADDED b', 'ERROR 410']);
  expect(w.doneWith()).toBeNull();
  expect(summary(again.events)).toEqual(['ERROR 410']);
  expect(again.doneWith()).toBeNull();
  expect(summary(resumed.events)).toEqual(['ADDED c']);
});

it('an Exact list from a compacted resourceVersion answers 410 Expired', async () => {
  server.upsertPod({ name: 'a' });
  const api = kc.makeApiClient(CoreV1Api);
  const old = (await api.listNamespacedPod({ namespace: 'porthole-test' })).metadata?.resourceVersion ?? '';
  server.upsertPod({ name: 'b' });
  server.expireWatches();

  const error = await api.listNamespacedPod({ namespace: 'porthole-test', resourceVersion: old, resourceVersionMatch: 'Exact' }).catch((e: unknown) => e);
  const notOlderThan = await api.listNamespacedPod({ namespace: 'porthole-test', resourceVersion: old });

  expect(error).toMatchObject({ code: 410 });
  expect(JSON.parse(String((error as { body: unknown }).body))).toMatchObject({ reason: 'Expired', code: 410 });
  expect(notOlderThan.items).toHaveLength(2);
});

it.each([
  { desc: 'forbidden: 403', arrange: (s: FakeKubeApiServer) => s.forbid('watch', 'pods'), token: undefined, status: 403 },
  { desc: 'wrong token: 401', arrange: () => undefined, token: 'not-the-token', status: 401 },
])('a watch refused before it starts calls done with the status code ($desc)', async ({ arrange, token, status }) => {
  arrange(server);
  const options = server.kubeConfigOptions();
  const config = new KubeConfig();
  config.loadFromOptions(token === undefined ? options : { ...options, users: [{ name: 'porthole', token }] });

  const w = await watch({}, PODS, config);
  await waitFor('done', () => w.doneWith() !== 'open');

  expect(w.doneWith()).toMatchObject({ statusCode: status });
  expect(server.openWatches).toBe(0);
});

it('setUnavailable cuts open watches', async () => {
  const w = await watch();
  await waitFor('the watch to be open', () => server.openWatches === 1);

  server.setUnavailable(true);
  await waitFor('done', () => w.doneWith() !== 'open');

  expect(server.openWatches).toBe(0);
});
