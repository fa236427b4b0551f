import {
  createdContainer,
  describeDocker,
  removeTestContainers,
  startFixtureContainer,
  type FixtureContainer,
} from '../support/docker';
import { startTestPorthole, type TestPorthole } from '../support/porthole';
import { TIMEOUTS } from '../support/timeouts';

describeDocker('REST API against real containers', () => {
  let porthole: TestPorthole;
  let web: FixtureContainer;
  let fresh: { id: string; name: string };
  const forwardsOf = (ref: string) => `/api/containers/${ref}/port-forwards`;

  beforeAll(async () => {
    [web, fresh] = await Promise.all([startFixtureContainer(), createdContainer()]);
    porthole = await startTestPorthole();
  }, TIMEOUTS.engineHook);

  afterAll(async () => {
    await porthole?.close();
    await removeTestContainers();
  }, TIMEOUTS.engineHook);

  afterEach(async () => {
    const list = await porthole.api('GET', forwardsOf(web.id));
    for (const forward of list.json ?? []) await porthole.api('DELETE', `${forwardsOf(web.id)}/${forward.id}`);
  });

  it('creates a forward named by full id, short id or name, always reporting the full id', async () => {
    const created = await porthole.api('POST', forwardsOf(web.name), { container_port: web.httpPort, name: 'Web Server' });
    expect(created.status).toBe(201);
    expect(created.json).toMatchObject({ container_id: web.id, container_port: web.httpPort, name: 'Web Server' });
    for (const ref of [web.id, web.id.slice(0, 12), web.name]) {
      const list = await porthole.api('GET', forwardsOf(ref));
      expect(list.json.map((f: { id: string }) => f.id)).toEqual([created.json.id]);
      const again = await porthole.api('POST', forwardsOf(ref), { container_port: web.httpPort });
      expect([again.status, again.json.error.code]).toEqual([403, 'port_already_forwarded']);
    }
  }, TIMEOUTS.engineTest);

  it.each<[string, string, unknown]>([
    ['port 0', 'invalid_port', { container_port: 0 }],
    ['port 65536', 'invalid_port', { container_port: 65536 }],
    ['port -1', 'invalid_port', { container_port: -1 }],
    ['port 80.5', 'invalid_port', { container_port: 80.5 }],
    ['port "8080"', 'invalid_port', { container_port: '8080' }],
    ['port null', 'invalid_port', { container_port: null }],
    ['port missing', 'invalid_port', {}],
    ['malformed JSON', 'invalid_request', '{"container_port": 80'],
    ['an unknown field', 'invalid_request', { container_port: 80, target: '169.254.169.254' }],
  ])('%s → 400 %s', async (_description, code, body) => {
    const response = await porthole.api('POST', forwardsOf(web.id), body);
    expect([response.status, response.json.error.code]).toEqual([400, code]);
  });

  it('answers 404 for an unknown container and 409 for one never started', async () => {
    const unknown = await porthole.api('POST', forwardsOf('porthole-no-such-container'), { container_port: 80 });
    expect([unknown.status, unknown.json.error.code]).toEqual([404, 'container_not_found']);
    const created = await porthole.api('POST', forwardsOf(fresh.name), { container_port: 80 });
    expect([created.status, created.json.error.code]).toEqual([409, 'container_not_running']);
    expect(created.json.error.message).toMatch(/is created;/);
  });

  it('refuses the eleventh forward with 429', async () => {
    for (let port = 1; port <= 10; port += 1) {
      expect((await porthole.api('POST', forwardsOf(web.id), { container_port: port })).status).toBe(201);
    }
    const eleventh = await porthole.api('POST', forwardsOf(web.id), { container_port: 11 });
    expect([eleventh.status, eleventh.json.error.code]).toEqual([429, 'limit_exceeded']);
  });

  it('ends 30 concurrent creates for 15 ports with exactly 10 forwards, no duplicates', async () => {
    const refs = [web.id, web.name, web.id.slice(0, 12)];
    const responses = await Promise.all(
      Array.from({ length: 30 }, (_, i) => porthole.api('POST', forwardsOf(refs[i % 3] as string), { container_port: 3000 + (i % 15) })),
    );
    expect(responses.filter((r) => r.status === 201)).toHaveLength(10);
    expect(responses.every((r) => [201, 403, 429].includes(r.status))).toBe(true);
    const list = await porthole.api('GET', forwardsOf(web.id));
    expect(list.json).toHaveLength(10);
    expect(new Set(list.json.map((f: { container_port: number }) => f.container_port)).size).toBe(10);
  }, TIMEOUTS.engineTest);

  it('needs a credential on every API route', async () => {
    for (const [method, path] of [
      ['POST', forwardsOf(web.id)],
      ['GET', forwardsOf(web.id)],
      ['GET', `${forwardsOf(web.id)}/pf_aaaaaaaaaaaaaaaaaaaa`],
      ['DELETE', `${forwardsOf(web.id)}/pf_aaaaaaaaaaaaaaaaaaaa`],
    ] as const) {
      const response = await porthole.api(method, path, method === 'POST' ? { container_port: 80 } : undefined, null);
      expect([response.status, response.json.error.code]).toEqual([401, 'unauthenticated']);
    }
  });

  it('serves health without a credential, and readiness from the engine', async () => {
    expect(await porthole.api('GET', '/healthz', undefined, null)).toEqual({ status: 200, json: { status: 'ok' } });
    expect(await porthole.api('GET', '/readyz', undefined, null)).toEqual({ status: 200, json: { status: 'ready' } });
  });
});
