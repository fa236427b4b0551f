import Dockerode from 'dockerode';
import { DockerContainerRuntime } from '../../packages/adapters-docker/src/index';
import {
  describeDocker,
  engineSocketPath,
  removeTestContainers,
  startFixtureContainer,
  type FixtureContainer,
} from '../support/docker';
import { openWebSocket, rawRequest } from '../support/http';
import { E2E_TOKEN, startTestPorthole, type TestPorthole } from '../support/porthole';
import { startSocketRelay, type SocketRelay } from '../support/socket-relay';
import { TIMEOUTS, waitFor } from '../support/timeouts';

const auth = { authorization: `Bearer ${E2E_TOKEN}` };

interface Forward {
  id: string;
  websocket_url: string;
}

async function forwardWithTunnel(porthole: TestPorthole, app: FixtureContainer) {
  const created = await porthole.api('POST', `/api/containers/${app.id}/port-forwards`, { container_port: app.tcpPort });
  expect(created.status).toBe(201);
  const forward = created.json as Forward;
  const tunnel = await openWebSocket(forward.websocket_url, { protocols: ['Bearer', E2E_TOKEN] });
  return { forward, tunnel };
}

describeDocker('forwards die with their container', () => {
  let porthole: TestPorthole;

  beforeAll(async () => {
    porthole = await startTestPorthole();
  }, TIMEOUTS.engineHook);

  afterAll(async () => {
    await porthole?.close();
    await removeTestContainers();
  }, TIMEOUTS.engineHook);

  it.each<[string, (app: FixtureContainer) => Promise<void>]>([
    ['docker stop', (app) => app.stop()],
    ['docker kill', (app) => app.kill()],
    ['docker rm -f', (app) => app.remove()],
  ])('%s: forwards gone and tunnels closed within 2 s, the proxy then 404', async (_description, action) => {
    const app = await startFixtureContainer();
    const { forward, tunnel } = await forwardWithTunnel(porthole, app);
    const actedAt = Date.now();
    await action(app);
    await tunnel.closed;
    expect(Date.now() - actedAt).toBeLessThan(TIMEOUTS.lifecycleEvent);
    await waitFor(
      'the forward to be gone',
      async () => ((await rawRequest(porthole.url, { path: `/p/${forward.id}/`, headers: auth })).status === 404 ? true : undefined),
      TIMEOUTS.lifecycleEvent,
    );
    const list = await porthole.api('GET', `/api/containers/${app.id}/port-forwards`);
    // A removed container is not found at all; a stopped one has no forwards left.
    expect(list.status === 404 || (list.status === 200 && list.json.length === 0)).toBe(true);
  }, TIMEOUTS.engineTest);

  it('a restarted container is a new life: its old forwards are gone', async () => {
    const app = await startFixtureContainer();
    const { forward } = await forwardWithTunnel(porthole, app);
    await app.stop();
    await app.start();
    const response = await rawRequest(porthole.url, { path: `/p/${forward.id}/`, headers: auth });
    expect(response.status).toBe(404);
    const list = await porthole.api('GET', `/api/containers/${app.id}/port-forwards`);
    expect(list.json).toEqual([]);
  }, TIMEOUTS.engineTest);
});

describeDocker('a gap in the engine event stream', () => {
  let relay: SocketRelay;
  let porthole: TestPorthole;

  beforeAll(async () => {
    relay = await startSocketRelay({ path: engineSocketPath() });
    // Porthole reaches the engine only through the relay, so the test can cut the link.
    const runtime = new DockerContainerRuntime(new Dockerode({ socketPath: relay.path }));
    porthole = await startTestPorthole({}, { runtime });
  }, TIMEOUTS.engineHook);

  afterAll(async () => {
    await porthole?.close();
    await relay?.close();
    await removeTestContainers();
  }, TIMEOUTS.engineHook);

  it('after reconnecting, forwards of containers that stopped meanwhile are gone', async () => {
    const stays = await startFixtureContainer();
    const goes = await startFixtureContainer();
    const kept = await forwardWithTunnel(porthole, stays);
    const lost = await forwardWithTunnel(porthole, goes);

    await relay.refuse(); // the engine "restarts": the stream drops and reconnects fail
    await goes.stop(); // ... and the stop happens while nobody is listening
    await new Promise((resolve) => setTimeout(resolve, 300));
    await relay.accept();

    await lost.tunnel.closed;
    await waitFor(
      'the stopped container’s forward to be reconciled away',
      async () => ((await porthole.api('GET', `/api/containers/${goes.id}/port-forwards`)).json?.length === 0 ? true : undefined),
      TIMEOUTS.engineTest / 2,
      100,
    );
    const survivors = await porthole.api('GET', `/api/containers/${stays.id}/port-forwards`);
    expect(survivors.json.map((f: Forward) => f.id)).toEqual([kept.forward.id]);
  }, TIMEOUTS.engineTest);
});

describeDocker('a paused container', () => {
  let porthole: TestPorthole;

  beforeAll(async () => {
    porthole = await startTestPorthole();
  }, TIMEOUTS.engineHook);

  afterAll(async () => {
    await porthole?.close();
    await removeTestContainers();
  }, TIMEOUTS.engineHook);

  it('keeps its forwards: 409 while paused, served again once unpaused', async () => {
    const app = await startFixtureContainer();
    const created = await porthole.api('POST', `/api/containers/${app.id}/port-forwards`, { container_port: app.httpPort });
    const path = `/p/${created.json.id}/after-pause`;
    await app.pause();
    const paused = await rawRequest(porthole.url, { path, headers: auth });
    expect([paused.status, JSON.parse(paused.body.toString()).error.code]).toEqual([409, 'container_not_running']);
    expect((await porthole.api('GET', `/api/containers/${app.id}/port-forwards`)).json).toHaveLength(1);
    await app.unpause();
    const served = await rawRequest(porthole.url, { path, headers: auth });
    expect(served.status).toBe(200);
  }, TIMEOUTS.engineTest);
});
