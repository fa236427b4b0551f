import { randomBytes } from 'node:crypto';
import { describeDocker, removeTestContainers, startFixtureContainer, type FixtureContainer } from '../support/docker';
import { collect, openWebSocket } from '../support/http';
import { E2E_TOKEN, startTestPorthole, type TestPorthole } from '../support/porthole';
import { TIMEOUTS } from '../support/timeouts';

describeDocker('WebSocket tunnel against a real container', () => {
  let porthole: TestPorthole;
  let app: FixtureContainer;

  beforeAll(async () => {
    app = await startFixtureContainer();
    porthole = await startTestPorthole();
  }, TIMEOUTS.engineHook);

  afterAll(async () => {
    await porthole?.close();
    await removeTestContainers();
  }, TIMEOUTS.engineHook);

  async function forwardTo(port: number) {
    const created = await porthole.api('POST', `/api/containers/${app.id}/port-forwards`, { container_port: port });
    expect(created.status).toBe(201);
    return created.json as { id: string; websocket_url: string };
  }

  it('selects Bearer and carries 256 KB of random bytes byte-identical', async () => {
    const forward = await forwardTo(app.tcpPort);
    const { ws, messages } = await openWebSocket(forward.websocket_url, { protocols: ['Bearer', E2E_TOKEN] });
    expect(ws.protocol).toBe('Bearer');
    const payload = randomBytes(256 * 1024);
    for (let offset = 0; offset < payload.length; offset += 16 * 1024) ws.send(payload.subarray(offset, offset + 16 * 1024));
    const echoed = await collect(messages, payload.length, 5000);
    expect(echoed.equals(payload)).toBe(true);
    ws.close();
    await porthole.api('DELETE', `/api/containers/${app.id}/port-forwards/${forward.id}`);
  }, TIMEOUTS.engineTest);

  it('refuses a tunnel without a credential with 401 before upgrading', async () => {
    const forward = await forwardTo(app.tcpPort);
    await expect(openWebSocket(forward.websocket_url)).rejects.toMatchObject({ status: 401 });
    await expect(openWebSocket(forward.websocket_url, { protocols: ['Bearer', 'wrong-token-0123456789'] })).rejects.toMatchObject({ status: 401 });
    await porthole.api('DELETE', `/api/containers/${app.id}/port-forwards/${forward.id}`);
  });

  it('answers 502 before upgrading when nothing listens on the port', async () => {
    const forward = await forwardTo(4999);
    const started = Date.now();
    await expect(openWebSocket(forward.websocket_url, { protocols: ['Bearer', E2E_TOKEN] })).rejects.toMatchObject({ status: 502 });
    expect(Date.now() - started).toBeLessThan(1000);
    await porthole.api('DELETE', `/api/containers/${app.id}/port-forwards/${forward.id}`);
  });

  it('closes an open tunnel within 1 s of DELETE; a second DELETE is 404', async () => {
    const forward = await forwardTo(app.tcpPort);
    const { closed } = await openWebSocket(forward.websocket_url, { protocols: ['Bearer', E2E_TOKEN] });
    const deletedAt = Date.now();
    expect((await porthole.api('DELETE', `/api/containers/${app.id}/port-forwards/${forward.id}`)).status).toBe(204);
    await closed;
    expect(Date.now() - deletedAt).toBeLessThan(1000);
    const again = await porthole.api('DELETE', `/api/containers/${app.id}/port-forwards/${forward.id}`);
    expect([again.status, again.json.error.code]).toEqual([404, 'forward_not_found']);
  }, TIMEOUTS.engineTest);
});
