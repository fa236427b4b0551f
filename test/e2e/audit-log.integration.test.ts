// The audit log of the real server process (`node apps/server/dist/main.js`), read from its
// stdout: one JSON line marked "audit" per create, change, delete, lifecycle cleanup and
// refused access, each with principal, role, container, forward and reason, and no
// credential of any kind in any line the process writes.
import { describeDocker, removeTestContainers, startFixtureContainer, type FixtureContainer } from '../support/docker';
import { openWebSocket, rawRequest } from '../support/http';
import { FREE, PRO, ownedBy, writePlanTokensFile, type PlanTokensFile } from '../support/plan-users';
import type { ApiResponse } from '../support/porthole';
import { startServer, type ServerProcess } from '../support/server-process';
import { TIMEOUTS, sleep, waitFor } from '../support/timeouts';

const ADMIN_TOKEN = 'audit-admin-token-0123456789abcdef';
const WRONG_TOKEN = 'nobodys-token-0123456789abcdef';

interface AuditLine {
  readonly audit: string;
  readonly principal: string | null;
  readonly role: 'admin' | 'user' | null;
  readonly container: string | null;
  readonly forward: string | null;
  readonly reason: string | null;
  readonly [field: string]: unknown;
}

describeDocker('the audit log of the server process', () => {
  let users: PlanTokensFile;
  let server: ServerProcess;
  let paulas: FixtureContainer;
  let stopping: FixtureContainer;
  let freds: FixtureContainer;
  /** Every credential the tests present: none may show up in the log. */
  const credentials = new Set<string>([ADMIN_TOKEN, PRO.token, FREE.token, WRONG_TOKEN]);
  /** The line each row expects, to count them once everything has been written. */
  const expected: { description: string; line: Partial<AuditLine> }[] = [];

  beforeAll(async () => {
    users = writePlanTokensFile();
    [paulas, stopping, freds] = await Promise.all([
      startFixtureContainer({ labels: ownedBy(PRO), websocket: true }),
      startFixtureContainer({ labels: ownedBy(PRO) }),
      startFixtureContainer({ labels: ownedBy(FREE) }),
    ]);
    // debug, not just info: proxied requests are logged at debug, and none may leak either.
    server = await startServer({ PORTHOLE_ADMIN_TOKEN: ADMIN_TOKEN, PORTHOLE_TOKENS_FILE: users.file, PORTHOLE_LOG_LEVEL: 'debug' });
  }, TIMEOUTS.engineHook);

  afterAll(async () => {
    if (server !== undefined) {
      server.child.kill('SIGTERM');
      await server.exited;
    }
    await removeTestContainers();
    users?.remove();
  }, TIMEOUTS.engineHook);

  /** Every JSON line on stdout (the banner is plain text). */
  const jsonLines = (): Record<string, unknown>[] =>
    server
      .stdout()
      .split('\n')
      .filter((line) => line.startsWith('{'))
      .map((line) => JSON.parse(line) as Record<string, unknown>);
  const auditLines = () => jsonLines().filter((line): line is AuditLine => typeof line['audit'] === 'string');
  const matching = (line: Partial<AuditLine>) => auditLines().filter((candidate) => matches(candidate, line));

  async function api(method: string, path: string, token: string, body?: unknown): Promise<ApiResponse> {
    const res = await fetch(`${server.url}${path}`, {
      method,
      headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await res.text();
    return { status: res.status, json: text === '' ? undefined : JSON.parse(text) };
  }
  const forwards = (container: FixtureContainer) => `/api/containers/${container.id}/port-forwards`;

  /** A forward of port 8080, its creation expected in the log as well. */
  async function create(container: FixtureContainer, token: string, fields: Record<string, unknown> = {}): Promise<string> {
    const created = await api('POST', forwards(container), token, { container_port: 8080, ...fields });
    expect(created.status).toBe(201);
    return created.json.id as string;
  }

  // Each row does one thing through the real API, proxy or engine, checks the answer, and
  // says which audit line that must have written.
  it.each<[string, () => Promise<Partial<AuditLine>>]>([
    [
      'a create (with a custom domain)',
      async () => {
        const id = await create(paulas, PRO.token, { custom_domain: 'audit.example.test' });
        return { audit: 'forward.created', principal: PRO.id, role: 'user', container: paulas.id, forward: id, reason: null, container_port: 8080, custom_domain: 'audit.example.test' };
      },
    ],
    [
      'a custom-domain change',
      async () => {
        const [forward] = (await api('GET', forwards(paulas), PRO.token)).json as { id: string }[];
        const id = forward?.id ?? '';
        expect((await api('PATCH', `${forwards(paulas)}/${id}`, PRO.token, { custom_domain: 'moved.example.test' })).status).toBe(200);
        return { audit: 'forward.updated', principal: PRO.id, container: paulas.id, forward: id, reason: null, custom_domain: 'moved.example.test', previous_custom_domain: 'audit.example.test' };
      },
    ],
    [
      'a delete, by whom',
      async () => {
        const [forward] = (await api('GET', forwards(paulas), PRO.token)).json as { id: string }[];
        const id = forward?.id ?? '';
        expect((await api('DELETE', `${forwards(paulas)}/${id}`, PRO.token)).status).toBe(204);
        return { audit: 'forward.deleted', principal: PRO.id, container: paulas.id, forward: id, reason: null };
      },
    ],
    [
      'a create by the admin token, which is role admin',
      async () => {
        const id = await create(stopping, ADMIN_TOKEN);
        return { audit: 'forward.created', principal: 'admin', role: 'admin', container: stopping.id, forward: id, reason: null };
      },
    ],
    [
      'the lifecycle cleanup after docker stop, with its reason and no principal',
      async () => {
        const [forward] = (await api('GET', forwards(stopping), ADMIN_TOKEN)).json as { id: string }[];
        const id = forward?.id ?? '';
        await stopping.stop();
        return { audit: 'forward.removed', principal: null, role: null, container: stopping.id, forward: id, reason: expect.stringMatching(/^container_stopped: \S/) };
      },
    ],
    [
      "another user's container",
      async () => {
        expect((await api('POST', forwards(paulas), FREE.token, { container_port: 8080 })).status).toBe(404);
        return { audit: 'access.denied', principal: FREE.id, container: paulas.id, forward: null, reason: 'not_owner' };
      },
    ],
    [
      "another user's forward, through the proxy",
      async () => {
        const id = await create(paulas, PRO.token);
        const res = await rawRequest(server.url, { path: `/p/${id}/`, headers: { authorization: `Bearer ${FREE.token}` } });
        expect(res.status).toBe(404);
        return { audit: 'access.denied', principal: FREE.id, container: paulas.id, forward: id, reason: 'not_owner' };
      },
    ],
    [
      'a token nobody has, on the API',
      async () => {
        expect((await api('GET', forwards(freds), WRONG_TOKEN)).status).toBe(401);
        return { audit: 'access.denied', principal: null, role: null, container: null, forward: null, reason: 'bad_credential', path: forwards(freds) };
      },
    ],
    [
      'a token nobody has, on the tunnel (in the subprotocols)',
      async () => {
        const [forward] = (await api('GET', forwards(paulas), PRO.token)).json as { id: string }[];
        const id = forward?.id ?? '';
        const wsUrl = `${server.url.replace('http:', 'ws:')}/ws/port-forward/${id}`;
        await expect(openWebSocket(wsUrl, { protocols: ['Bearer', WRONG_TOKEN] })).rejects.toMatchObject({ status: 401 });
        return { audit: 'access.denied', principal: null, container: null, forward: id, reason: 'bad_credential', path: `/ws/port-forward/${id}` };
      },
    ],
    [
      'a one-time link used twice',
      async () => {
        const [forward] = (await api('GET', forwards(paulas), PRO.token)).json as { id: string }[];
        const id = forward?.id ?? '';
        const link = new URL((await api('POST', `${forwards(paulas)}/${id}/links`, PRO.token)).json.url as string);
        credentials.add(link.searchParams.get('porthole_link') ?? '');
        const opened = await rawRequest(server.url, { path: `${link.pathname}${link.search}` });
        expect(opened.status).toBe(302);
        credentials.add(/porthole_session=([^;]+)/.exec(String(opened.headers['set-cookie']))?.[1] ?? '');
        expect((await rawRequest(server.url, { path: `${link.pathname}${link.search}` })).status).toBe(401);
        return { audit: 'access.denied', principal: null, container: null, forward: id, reason: 'bad_credential', path: link.pathname };
      },
    ],
    [
      'a free user asking for a custom domain',
      async () => {
        const res = await api('POST', forwards(freds), FREE.token, { container_port: 8080, custom_domain: 'fred.example.test' });
        expect([res.status, res.json.error.code]).toEqual([403, 'plan_required']);
        return { audit: 'access.denied', principal: FREE.id, container: freds.id, forward: null, reason: 'plan_required' };
      },
    ],
    [
      'a free user setting one on their forward',
      async () => {
        const id = await create(freds, FREE.token);
        expect((await api('PATCH', `${forwards(freds)}/${id}`, FREE.token, { custom_domain: 'fred.example.test' })).status).toBe(403);
        return { audit: 'access.denied', principal: FREE.id, container: freds.id, forward: id, reason: 'plan_required' };
      },
    ],
  ])('%s', async (description, act) => {
    const line = await act();
    expected.push({ description, line });
    await waitFor(`the audit line of ${description}`, () => (matching(line).length > 0 ? true : undefined), TIMEOUTS.lifecycleEvent);
  }, TIMEOUTS.engineTest);

  it('wrote each of those lines once, every audit line with principal, role, container, forward and reason', async () => {
    expect(expected).toHaveLength(12);
    await sleep(TIMEOUTS.quietPeriod);
    for (const { description, line } of expected) expect([description, matching(line).length]).toEqual([description, 1]);
    for (const line of auditLines()) {
      expect(Object.keys(line)).toEqual(expect.arrayContaining(['audit', 'principal', 'role', 'container', 'forward', 'reason']));
      expect(line['msg']).toBe('audit');
    }
  }, TIMEOUTS.engineTest);

  it('writes no credential anywhere: not a token, a link or a session, on stdout or stderr', async () => {
    // A token once in the address (the browser's way in) is a credential in a URL too.
    const [forward] = (await api('GET', forwards(paulas), PRO.token)).json as { id: string }[];
    const opened = await rawRequest(server.url, { path: `/p/${forward?.id ?? ''}/?porthole_token=${PRO.token}` });
    expect(opened.status).toBe(302);
    await sleep(TIMEOUTS.quietPeriod);
    expect(jsonLines().length).toBeGreaterThan(20);
    const everything = `${server.stdout()}\n${server.stderr()}`;
    for (const credential of credentials) {
      expect(credential.length).toBeGreaterThan(15);
      expect(everything.includes(credential) ? `${credential} is in the log` : 'not in the log').toBe('not in the log');
    }
  }, TIMEOUTS.engineTest);

  it('keeps the audit trail at PORTHOLE_LOG_LEVEL=warn, where the other info lines go', async () => {
    const quiet = await startServer({ PORTHOLE_ADMIN_TOKEN: ADMIN_TOKEN, PORTHOLE_LOG_LEVEL: 'warn' });
    try {
      const res = await fetch(`${quiet.url}${forwards(paulas)}`, {
        method: 'POST',
        headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json' },
        body: JSON.stringify({ container_port: 9001 }),
      });
      const { id } = (await res.json()) as { id: string };
      await sleep(TIMEOUTS.quietPeriod);
      const lines = quiet.stdout().split('\n').filter((line) => line.startsWith('{')).map((line) => JSON.parse(line) as Record<string, unknown>);
      expect(lines.filter((line) => line['audit'] === 'forward.created' && line['forward'] === id)).toHaveLength(1);
      expect(lines.filter((line) => line['msg'] === 'request')).toEqual([]);
    } finally {
      quiet.child.kill('SIGTERM');
      await quiet.exited;
    }
  }, TIMEOUTS.engineTest);
});

/** `toMatchObject` as a predicate: asymmetric matchers (expect.stringMatching) included. */
function matches(actual: AuditLine, wanted: Partial<AuditLine>): boolean {
  try {
    expect(actual).toMatchObject(wanted);
    return true;
  } catch {
    return false;
  }
}
