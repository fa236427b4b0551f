// Users from PORTHOLE_TOKENS_FILE (JSON, or YAML by the file's name) against a real engine:
// a user acts on the containers labelled porthole.owner=<their id>, and every other
// container does not exist for them.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createHash, createHmac } from 'node:crypto';
import { describeDocker, removeTestContainers, startFixtureContainer, type FixtureContainer } from '../support/docker';
import { rawRequest } from '../support/http';
import { startTestPorthole, type TestPorthole } from '../support/porthole';
import { TIMEOUTS } from '../support/timeouts';

const ALICE = 'alice-token-0123456789abcdef';
const BOB = 'bob-token-0123456789abcdef';
const JWT_SECRET = 'the-platform-shared-secret-0123456789';

/** An HS256 JWT, as a platform that signs its users in would issue one. */
function jwt(claims: Record<string, unknown>): string {
  const part = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');
  const body = `${part({ alg: 'HS256', typ: 'JWT' })}.${part(claims)}`;
  return `${body}.${createHmac('sha256', JWT_SECRET).update(body).digest('base64url')}`;
}

describeDocker('users from a tokens file', () => {
  let dir: string;
  let porthole: TestPorthole;
  let alices: FixtureContainer;
  let unlabelled: FixtureContainer;

  beforeAll(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'porthole-tokens-'));
    const file = path.join(dir, 'tokens.json');
    const sha256 = createHash('sha256').update(BOB).digest('hex');
    writeFileSync(file, JSON.stringify({ tokens: [{ user: 'alice', role: 'user', token: ALICE }, { user: 'bob', role: 'user', sha256 }] }));
    [alices, unlabelled] = await Promise.all([
      startFixtureContainer({ labels: { 'porthole.owner': 'alice' } }),
      startFixtureContainer(),
    ]);
    porthole = await startTestPorthole({ PORTHOLE_TOKENS_FILE: file, PORTHOLE_JWT_SECRET: JWT_SECRET, PORTHOLE_JWT_AUDIENCE: 'porthole' });
  }, TIMEOUTS.engineHook);

  afterAll(async () => {
    await porthole?.close();
    await removeTestContainers();
    rmSync(dir, { recursive: true, force: true });
  }, TIMEOUTS.engineHook);

  const create = (container: FixtureContainer, token: string) =>
    porthole.api('POST', `/api/containers/${container.id}/port-forwards`, { container_port: container.httpPort }, token);

  it("lets a user forward and use their own container's ports", async () => {
    const created = await create(alices, ALICE);
    expect(created.status).toBe(201);
    const got = await rawRequest(porthole.url, { path: `/p/${created.json.id}/mine`, headers: { authorization: `Bearer ${ALICE}` } });
    expect(got.status).toBe(200);
    expect(JSON.parse(got.body.toString()).url).toBe('/mine');
  }, TIMEOUTS.engineTest);

  it("answers 404, as if it did not exist, for another user's or an unlabelled container, on every route", async () => {
    const alicesForward = (await porthole.api('GET', `/api/containers/${alices.id}/port-forwards`, undefined, ALICE)).json[0];
    for (const [container, token] of [[alices, BOB], [unlabelled, ALICE], [unlabelled, BOB]] as const) {
      expect((await create(container, token)).status).toBe(404);
      expect((await porthole.api('GET', `/api/containers/${container.id}/port-forwards`, undefined, token)).status).toBe(404);
    }
    const proxied = await rawRequest(porthole.url, { path: `/p/${alicesForward.id}/`, headers: { authorization: `Bearer ${BOB}` } });
    expect(proxied.status).toBe(404);
    expect(proxied.body.toString()).not.toContain('alice');
    expect((await porthole.api('DELETE', `/api/containers/${alices.id}/port-forwards/${alicesForward.id}`, undefined, BOB)).status).toBe(404);
  }, TIMEOUTS.engineTest);

  it("takes a platform's JWT as the same user, and refuses an expired one or one without exp", async () => {
    const exp = Math.floor(Date.now() / 1000) + 60;
    const asAlice = jwt({ sub: 'alice', aud: 'porthole', exp });
    expect((await porthole.api('GET', `/api/containers/${alices.id}/port-forwards`, undefined, asAlice)).status).toBe(200);
    expect((await porthole.api('GET', `/api/containers/${unlabelled.id}/port-forwards`, undefined, asAlice)).status).toBe(404);
    const expired = jwt({ sub: 'alice', aud: 'porthole', exp: exp - 3600 });
    expect((await porthole.api('GET', `/api/containers/${alices.id}/port-forwards`, undefined, expired)).status).toBe(401);
    const forever = jwt({ sub: 'alice', aud: 'porthole' });
    expect((await porthole.api('GET', `/api/containers/${alices.id}/port-forwards`, undefined, forever)).status).toBe(401);
    const otherAudience = jwt({ sub: 'alice', aud: 'elsewhere', exp });
    expect((await porthole.api('GET', `/api/containers/${alices.id}/port-forwards`, undefined, otherAudience)).status).toBe(401);
  }, TIMEOUTS.engineTest);

  it('reads the users of a YAML tokens file (by its .yaml name)', async () => {
    const file = path.join(dir, 'tokens.yaml');
    const sha256 = createHash('sha256').update(ALICE).digest('hex');
    writeFileSync(file, `# who may use Porthole\ntokens:\n  - user: alice\n    role: user\n    plan: pro\n    sha256: ${sha256}\n`);
    const fromYaml = await startTestPorthole({ PORTHOLE_TOKENS_FILE: file });
    try {
      expect((await fromYaml.api('GET', `/api/containers/${alices.id}/port-forwards`, undefined, ALICE)).status).toBe(200);
      expect((await fromYaml.api('GET', `/api/containers/${unlabelled.id}/port-forwards`, undefined, ALICE)).status).toBe(404);
      expect((await fromYaml.api('GET', `/api/containers/${alices.id}/port-forwards`, undefined, BOB)).status).toBe(401);
    } finally {
      await fromYaml.close();
    }
  }, TIMEOUTS.engineTest);

  it('keeps the admin token working for every container', async () => {
    expect((await porthole.api('POST', `/api/containers/${unlabelled.id}/port-forwards`, { container_port: unlabelled.httpPort })).status).toBe(201);
  }, TIMEOUTS.engineTest);
});
