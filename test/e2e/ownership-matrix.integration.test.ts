// Issue 6, the ownership matrix, against a real engine: two users from a tokens file and
// the admin, on every route, on their own container, the other user's and an unlabelled
// one. A user acts only on containers labelled porthole.owner=<their id>; to them every
// other container, and every forward of one, is exactly a container that does not exist:
// the same status, code, headers and body (once the name the caller used is set aside),
// no owner, no container id, no host port, and no difference in time worth noticing.
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import type { IncomingHttpHeaders } from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createdContainer, describeDocker, removeTestContainers, startFixtureContainer, type FixtureContainer } from '../support/docker';
import { openWebSocket, rawRequest } from '../support/http';
import { E2E_TOKEN, startTestPorthole, type TestPorthole } from '../support/porthole';
import { TIMEOUTS, waitFor } from '../support/timeouts';

type Caller = 'alice' | 'bob' | 'admin';
type Owner = 'alice' | 'bob' | 'unlabelled';

const TOKENS: Record<Caller, string> = { alice: 'alice-token-0123456789abcdef', bob: 'bob-token-0123456789abcdef', admin: E2E_TOKEN };

/** A forward as the API shows it (the fields this file reads). */
type Forward = { readonly id: string; readonly container_id: string; readonly container_port: number; readonly local_port: number };
/** A container of the matrix, and the forward of its HTTP port that its owner made. */
type Target = { readonly owner: Owner; readonly container: FixtureContainer; readonly forward: Forward };
/** What a route answered; a WebSocket that opened is 101 with what came through it. */
type Answer = { readonly status: number; readonly body: string; readonly headers: IncomingHttpHeaders };
/** The names in a request's URL: the container's, and the forward's. */
type Refs = { readonly container: string; readonly forward: string };

/** Names of the same shape as the real ones, that nothing has. */
const GHOST_CONTAINER = `porthole-test-${randomBytes(5).toString('hex')}`;
const GHOST_FORWARD = `pf_${[...randomBytes(24)].map((byte) => '0123456789abcdefghijklmnopqrstuvwxyz'[byte % 36]).join('')}`;

describeDocker('ownership matrix: two users and an admin × every route × own, other and unlabelled containers', () => {
  let dir: string;
  let porthole: TestPorthole;
  let targets: Record<Owner, Target>;
  let notRunning: { readonly name: string };

  async function http(method: string, url: string, token: string | null, extra: { json?: unknown; headers?: Record<string, string> } = {}): Promise<Answer> {
    const headers: Record<string, string> = { ...extra.headers };
    if (token !== null) headers['authorization'] = `Bearer ${token}`;
    if (extra.json !== undefined) headers['content-type'] = 'application/json';
    const body = extra.json === undefined ? undefined : JSON.stringify(extra.json);
    const answer = await rawRequest(porthole.url, { method, path: url, headers, ...(body === undefined ? {} : { body }) });
    return { status: answer.status, body: answer.body.toString(), headers: answer.headers };
  }

  type Opened = Awaited<ReturnType<typeof openWebSocket>>;

  /** A WebSocket upgrade: 101 and what `use` read from it, or the HTTP refusal. */
  async function upgrade(url: string, options: Parameters<typeof openWebSocket>[1], use: (opened: Opened) => Promise<string>): Promise<Answer> {
    let opened: Opened;
    try {
      opened = await openWebSocket(`${porthole.url.replace(/^http/, 'ws')}${url}`, options);
    } catch (error) {
      const refused = error as { status?: number; body?: string };
      if (refused.status === undefined) throw error;
      return { status: refused.status, body: refused.body ?? '', headers: {} };
    }
    return { status: 101, body: await use(opened), headers: {} };
  }

  const forwardsUrl = (container: string) => `/api/containers/${container}/port-forwards`;
  const asAdmin = (method: string, container: FixtureContainer, suffix = '') => http(method, `${forwardsUrl(container.name)}${suffix}`, E2E_TOKEN);

  /** A forward of the container's TCP port, made by the admin (owned by the container's owner). */
  async function freshForward(target: Target): Promise<string> {
    const created = await http('POST', forwardsUrl(target.container.name), E2E_TOKEN, { json: { container_port: target.container.tcpPort } });
    expect(created.status).toBe(201);
    return (JSON.parse(created.body) as Forward).id;
  }

  /** Opens a one-time link the way a browser does; resolves to the session cookie it set. */
  async function openLink(link: string, forwardId: string): Promise<string> {
    const { pathname, search } = new URL(link);
    const opened = await http('GET', `${pathname}${search}`, null, { headers: { accept: 'text/html' } });
    expect(opened.status).toBe(302);
    expect(opened.headers.location).toBe(`/p/${forwardId}/`);
    const cookie = String(opened.headers['set-cookie']?.[0]).split(';')[0] ?? '';
    expect(cookie).toMatch(/^porthole_session=./);
    return cookie;
  }

  async function issueLink(target: Target, token: string): Promise<string> {
    const issued = await http('POST', `${forwardsUrl(target.container.name)}/${target.forward.id}/links`, token);
    expect(issued.status).toBe(201);
    return (JSON.parse(issued.body) as { url: string }).url;
  }

  /** The answer with what may differ between two requests set aside: the names used, the date, the request id. */
  function comparable(answer: Answer, names: readonly string[]) {
    const { date: _date, 'x-request-id': _id, 'content-length': _length, ...headers } = answer.headers;
    const body = names.reduce((text, name) => text.split(name).join('<name>'), answer.body);
    return { status: answer.status, headers, body };
  }

  function expectSameAsMissing(answer: Answer, used: string, missing: Answer, missingName: string): void {
    expect(comparable(answer, [used])).toEqual(comparable(missing, [missingName]));
  }

  /**
   * Nothing in a refusal says whose the container is, which it is, or where its host port
   * is, beyond the names the caller used (`used`, set aside first: a random forward id
   * may well hold "bob").
   */
  function expectNothingOf(target: Target, body: string, used: readonly string[]): void {
    const rest = used.reduce((text, name) => text.split(name).join(''), body);
    for (const secret of [target.container.id, String(target.forward.local_port), ...(target.owner === 'unlabelled' ? [] : [target.owner])]) {
      expect(rest).not.toContain(secret);
    }
  }

  const codeOf = (answer: Answer): unknown => (JSON.parse(answer.body) as { error?: { code?: string } }).error?.code;

  beforeAll(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'porthole-matrix-'));
    const file = path.join(dir, 'tokens.json');
    // One user by token and one by its SHA-256: both ways a tokens file names a user.
    const bobSha256 = createHash('sha256').update(TOKENS.bob).digest('hex');
    writeFileSync(file, JSON.stringify({ tokens: [{ user: 'alice', role: 'user', token: TOKENS.alice }, { user: 'bob', role: 'user', sha256: bobSha256 }] }));
    const [alices, bobs, unlabelled, stopped] = await Promise.all([
      startFixtureContainer({ labels: { 'porthole.owner': 'alice' }, websocket: true }),
      startFixtureContainer({ labels: { 'porthole.owner': 'bob' }, websocket: true }),
      startFixtureContainer({ websocket: true }),
      createdContainer({ labels: { 'porthole.owner': 'alice' } }),
    ]);
    notRunning = stopped;
    porthole = await startTestPorthole({ PORTHOLE_TOKENS_FILE: file });
    const standing = async (owner: Owner, container: FixtureContainer): Promise<Target> => {
      const created = await http('POST', forwardsUrl(container.name), owner === 'unlabelled' ? E2E_TOKEN : TOKENS[owner], { json: { container_port: container.httpPort } });
      expect(created.status).toBe(201);
      return { owner, container, forward: JSON.parse(created.body) as Forward };
    };
    targets = { alice: await standing('alice', alices), bob: await standing('bob', bobs), unlabelled: await standing('unlabelled', unlabelled) };
  }, TIMEOUTS.engineHook);

  // Rows that create forwards leave only the standing ones behind, whatever they asserted.
  afterEach(async () => {
    for (const { container, forward } of Object.values(targets ?? {})) {
      const listed = await asAdmin('GET', container);
      for (const { id } of JSON.parse(listed.body) as Forward[]) if (id !== forward.id) await asAdmin('DELETE', container, `/${id}`);
    }
  }, TIMEOUTS.engineHook);

  afterAll(async () => {
    await porthole?.close();
    await removeTestContainers();
    rmSync(dir, { recursive: true, force: true });
  }, TIMEOUTS.engineHook);

  interface Route {
    readonly name: string;
    /** The name in the URL that picks the container, which the comparison swaps for one that does not exist. */
    readonly picks: 'container' | 'forward';
    /** The row needs a forward of its own (DELETE uses it up), else it uses the standing one. */
    readonly fresh?: boolean;
    call(token: string, refs: Refs, target: Target): Promise<Answer>;
    /** A row where the caller may: what success looks like, beyond the status. */
    allowed(answer: Answer, target: Target, refs: Refs): Promise<void>;
    /** A row where the caller may not: nothing changed. */
    untouched?(target: Target, refs: Refs): Promise<void>;
  }

  const ROUTES: readonly Route[] = [
    {
      name: 'POST /api/containers/:id/port-forwards (create)',
      picks: 'container',
      call: (token, refs, target) => http('POST', forwardsUrl(refs.container), token, { json: { container_port: target.container.tcpPort } }),
      allowed: async (answer, target) => {
        expect(answer.status).toBe(201);
        const created = JSON.parse(answer.body) as Forward;
        expect(created).toMatchObject({ container_id: target.container.id, container_port: target.container.tcpPort });
        expect(JSON.parse((await asAdmin('GET', target.container, `/${created.id}`)).body)).toEqual(created);
      },
      untouched: async (target) => expect((JSON.parse((await asAdmin('GET', target.container)).body) as Forward[]).map((f) => f.id)).toEqual([target.forward.id]),
    },
    {
      name: 'GET /api/containers/:id/port-forwards (list)',
      picks: 'container',
      call: (token, refs) => http('GET', forwardsUrl(refs.container), token),
      allowed: async (answer, target) => {
        expect(answer.status).toBe(200);
        // The owner's listing is where the host port shows: the one forward, with its local_port.
        expect(JSON.parse(answer.body)).toEqual([target.forward]);
      },
    },
    {
      name: 'GET /api/containers/:id/port-forwards/:fid (get)',
      picks: 'container',
      call: (token, refs) => http('GET', `${forwardsUrl(refs.container)}/${refs.forward}`, token),
      allowed: async (answer, target) => {
        expect(answer.status).toBe(200);
        expect(JSON.parse(answer.body)).toEqual(target.forward);
      },
    },
    {
      name: 'DELETE /api/containers/:id/port-forwards/:fid',
      picks: 'container',
      fresh: true,
      call: (token, refs) => http('DELETE', `${forwardsUrl(refs.container)}/${refs.forward}`, token),
      allowed: async (answer, target, refs) => {
        expect(answer.status).toBe(204);
        expect((await asAdmin('GET', target.container, `/${refs.forward}`)).status).toBe(404);
      },
      untouched: async (target, refs) => expect((await asAdmin('GET', target.container, `/${refs.forward}`)).status).toBe(200),
    },
    {
      name: 'POST /api/containers/:id/port-forwards/:fid/links (one-time link)',
      picks: 'container',
      call: (token, refs) => http('POST', `${forwardsUrl(refs.container)}/${refs.forward}/links`, token),
      allowed: async (answer, target) => {
        expect(answer.status).toBe(201);
        const { url } = JSON.parse(answer.body) as { url: string };
        const cookie = await openLink(url, target.forward.id);
        const page = await http('GET', `/p/${target.forward.id}/`, null, { headers: { cookie, accept: 'text/html' } });
        expect(page.status).toBe(200);
        expect(JSON.parse(page.body)).toMatchObject({ url: '/' });
      },
    },
    {
      name: 'ANY /p/:fid/... (HTTP proxy, bearer header)',
      picks: 'forward',
      call: (token, refs) => http('GET', `/p/${refs.forward}/who?x=1`, token),
      allowed: async (answer) => {
        expect(answer.status).toBe(200);
        const seen = JSON.parse(answer.body) as { url: string; headers: Record<string, string> };
        expect(seen.url).toBe('/who?x=1');
        expect(seen.headers['authorization']).toBeUndefined();
      },
    },
    {
      name: 'WebSocket upgrade through /p/:fid/ (proxied to the app)',
      picks: 'forward',
      call: (token, refs) =>
        upgrade(`/p/${refs.forward}/chat?room=1`, { headers: { authorization: `Bearer ${token}` } }, async ({ ws, messages }) => {
          await waitFor('the app greeting', () => (messages.length >= 1 ? true : undefined), TIMEOUTS.lifecycleEvent);
          ws.send('hello');
          await waitFor('the echo', () => (messages.length >= 2 ? true : undefined), TIMEOUTS.lifecycleEvent);
          ws.close();
          return messages.map(String).join('\n');
        }),
      allowed: async (answer) => {
        expect(answer.status).toBe(101);
        const [greeting, echo] = answer.body.split('\n');
        const seen = JSON.parse(greeting ?? '{}') as { url: string; headers: Record<string, string> };
        expect(seen.url).toBe('/chat?room=1');
        expect(seen.headers['authorization']).toBeUndefined();
        expect(echo).toBe('hello');
      },
    },
    {
      name: 'GET /ws/port-forward/:fid (tunnel, subprotocols Bearer + token)',
      picks: 'forward',
      call: (token, refs) =>
        upgrade(`/ws/port-forward/${refs.forward}`, { protocols: ['Bearer', token] }, async ({ ws, messages, closed }) => {
          ws.send('GET /tunnelled HTTP/1.0\r\n\r\n');
          await closed; // HTTP/1.0: the app closes after its answer, and the tunnel with it
          return Buffer.concat(messages).toString();
        }),
      allowed: async (answer) => {
        expect(answer.status).toBe(101);
        expect(answer.body).toMatch(/^HTTP\/1\.1 200 /);
        expect(answer.body).toContain('"url":"/tunnelled"');
      },
    },
  ];

  const ACCESS: readonly { description: string; caller: Caller; owner: Owner; visible: boolean }[] = [
    { description: 'alice, on her own container: allowed', caller: 'alice', owner: 'alice', visible: true },
    { description: "alice, on bob's container: 404 as if it did not exist", caller: 'alice', owner: 'bob', visible: false },
    { description: 'alice, on an unlabelled container: 404 as if it did not exist', caller: 'alice', owner: 'unlabelled', visible: false },
    { description: 'bob, on his own container: allowed', caller: 'bob', owner: 'bob', visible: true },
    { description: "bob, on alice's container: 404 as if it did not exist", caller: 'bob', owner: 'alice', visible: false },
    { description: 'bob, on an unlabelled container: 404 as if it did not exist', caller: 'bob', owner: 'unlabelled', visible: false },
    { description: "the admin, on alice's container: allowed", caller: 'admin', owner: 'alice', visible: true },
    { description: "the admin, on bob's container: allowed", caller: 'admin', owner: 'bob', visible: true },
    { description: 'the admin, on an unlabelled container: allowed', caller: 'admin', owner: 'unlabelled', visible: true },
  ];

  describe.each(ROUTES)('$name', (route) => {
    it.each(ACCESS)('$description', async ({ caller, owner, visible }) => {
      const target = targets[owner];
      const refs: Refs = { container: target.container.name, forward: route.fresh === true ? await freshForward(target) : target.forward.id };
      const answer = await route.call(TOKENS[caller], refs, target);
      if (visible) {
        await route.allowed(answer, target, refs);
        return;
      }
      const missingRefs: Refs = route.picks === 'container' ? { ...refs, container: GHOST_CONTAINER } : { ...refs, forward: GHOST_FORWARD };
      const missing = await route.call(TOKENS[caller], missingRefs, target);
      expect(answer.status).toBe(404);
      expect(codeOf(answer)).toBe(route.picks === 'container' ? 'container_not_found' : 'forward_not_found');
      expectSameAsMissing(answer, refs[route.picks], missing, missingRefs[route.picks]);
      expectNothingOf(target, answer.body, [refs.container, refs.forward]);
      await route.untouched?.(target, refs);
    }, TIMEOUTS.engineTest);
  });

  it.each([
    { description: 'its name', ref: (c: FixtureContainer) => c.name, missing: GHOST_CONTAINER },
    { description: 'its full id', ref: (c: FixtureContainer) => c.id, missing: randomBytes(32).toString('hex') },
    { description: 'its short id', ref: (c: FixtureContainer) => c.id.slice(0, 12), missing: randomBytes(6).toString('hex') },
  ])("alice's container named by $description: hers to list, 404 to bob as one that does not exist", async ({ ref, missing }) => {
    const { container } = targets.alice;
    expect((await http('GET', forwardsUrl(ref(container)), TOKENS.alice)).status).toBe(200);
    const refused = await http('GET', forwardsUrl(ref(container)), TOKENS.bob);
    expect(codeOf(refused)).toBe('container_not_found');
    expectSameAsMissing(refused, ref(container), await http('GET', forwardsUrl(missing), TOKENS.bob), missing);
    expectNothingOf(targets.alice, refused.body, [ref(container)]);
    for (const other of [container.id, container.name].filter((name) => name !== ref(container))) expect(refused.body).not.toContain(other);
  }, TIMEOUTS.engineTest);

  it.each([
    { description: 'alice, a port of hers already forwarded: 403', caller: 'alice', running: true, status: 403, code: 'port_already_forwarded' },
    { description: 'bob, the same port of her container: 404, not 403', caller: 'bob', running: true, status: 404, code: 'container_not_found' },
    { description: 'alice, her container that is not running: 409', caller: 'alice', running: false, status: 409, code: 'container_not_running' },
    { description: 'bob, that container of hers that is not running: 404, not 409', caller: 'bob', running: false, status: 404, code: 'container_not_found' },
  ] as const)("a create on alice's container says nothing of its state to others: $description", async ({ caller, running, status, code }) => {
    const name = running ? targets.alice.container.name : notRunning.name;
    const create = (container: string) => http('POST', forwardsUrl(container), TOKENS[caller], { json: { container_port: targets.alice.container.httpPort } });
    const answer = await create(name);
    expect(answer.status).toBe(status);
    expect(codeOf(answer)).toBe(code);
    if (status === 404) expectSameAsMissing(answer, name, await create(GHOST_CONTAINER), GHOST_CONTAINER);
  }, TIMEOUTS.engineTest);

  it.each([
    { description: 'GET', method: 'GET', suffix: '' },
    { description: 'DELETE', method: 'DELETE', suffix: '' },
    { description: 'POST .../links for', method: 'POST', suffix: '/links' },
  ])("$description one of alice's forwards through bob's own container: 404 forward_not_found, as a forward that does not exist", async ({ method, suffix }) => {
    const through = (forwardId: string) => http(method, `${forwardsUrl(targets.bob.container.name)}/${forwardId}${suffix}`, TOKENS.bob);
    const refused = await through(targets.alice.forward.id);
    expect(codeOf(refused)).toBe('forward_not_found');
    expectSameAsMissing(refused, targets.alice.forward.id, await through(GHOST_FORWARD), GHOST_FORWARD);
    expectNothingOf(targets.alice, refused.body, [targets.alice.forward.id]);
    expect((await asAdmin('GET', targets.alice.container, `/${targets.alice.forward.id}`)).status).toBe(200);
  }, TIMEOUTS.engineTest);

  it.each([
    {
      description: "bob's token in the address of alice's forward: 404, as for a forward that does not exist",
      status: 404,
      attempt: () => http('GET', `/p/${targets.alice.forward.id}/?porthole_token=${TOKENS.bob}`, null, { headers: { accept: 'text/html' } }),
      baseline: () => http('GET', `/p/${GHOST_FORWARD}/?porthole_token=${TOKENS.bob}`, null, { headers: { accept: 'text/html' } }),
    },
    {
      description: "alice's session cookie on bob's forward: 401, as with no cookie at all",
      status: 401,
      attempt: async () => {
        const cookie = await openLink(await issueLink(targets.alice, TOKENS.alice), targets.alice.forward.id);
        return http('GET', `/p/${targets.bob.forward.id}/`, null, { headers: { cookie } });
      },
      baseline: () => http('GET', `/p/${targets.bob.forward.id}/`, null),
    },
    {
      description: "alice's link on bob's forward: 401, as a made-up link, and it still opens alice's",
      status: 401,
      attempt: async () => {
        const link = new URL(await issueLink(targets.alice, TOKENS.alice));
        const answer = await http('GET', `/p/${targets.bob.forward.id}/${link.search}`, null);
        await openLink(link.href, targets.alice.forward.id);
        return answer;
      },
      baseline: () => http('GET', `/p/${targets.bob.forward.id}/?porthole_link=${randomBytes(32).toString('base64url')}`, null),
    },
    {
      description: "alice's link once she used it, opened again by anyone: 401, as a made-up link",
      status: 401,
      attempt: async () => {
        const link = new URL(await issueLink(targets.alice, TOKENS.alice));
        await openLink(link.href, targets.alice.forward.id);
        return http('GET', `${link.pathname}${link.search}`, null, { headers: { authorization: `Bearer ${TOKENS.bob}` } });
      },
      baseline: () =>
        http('GET', `/p/${targets.alice.forward.id}/?porthole_link=${randomBytes(32).toString('base64url')}`, null, { headers: { authorization: `Bearer ${TOKENS.bob}` } }),
    },
  ])('browser credentials cross no owner line: $description', async ({ status, attempt, baseline }) => {
    const answer = await attempt();
    expect(answer.status).toBe(status);
    // Messages name the forward of the URL: every forward id counts as the same name.
    const names = [targets.alice.forward.id, targets.bob.forward.id, GHOST_FORWARD];
    expect(comparable(answer, names)).toEqual(comparable(await baseline(), names));
    expectNothingOf(targets.alice, answer.body, names);
  }, TIMEOUTS.engineTest);

  // A loose bound, on purpose: on a busy 2-core machine (other test runs share it) single
  // requests vary by several milliseconds, so only medians of a few interleaved samples are
  // compared, and only a difference of a different order (an extra engine round trip, a
  // dial, a sleep) fails. Both directions count: either being the slower one tells.
  const SAMPLES = 15;
  it.each([
    { description: 'a container route (GET list)', url: (missing: boolean) => forwardsUrl(missing ? GHOST_CONTAINER : targets.alice.container.name) },
    { description: 'the proxy (GET /p/:fid/)', url: (missing: boolean) => `/p/${missing ? GHOST_FORWARD : targets.alice.forward.id}/` },
    { description: 'the tunnel (upgrade)', url: (missing: boolean) => `/ws/port-forward/${missing ? GHOST_FORWARD : targets.alice.forward.id}`, tunnel: true },
  ])("$description: bob's 404 for alice's takes about as long as for what does not exist", async ({ url, tunnel }) => {
    const once = async (missing: boolean): Promise<number> => {
      const started = performance.now();
      const answer = tunnel === true
        ? await upgrade(url(missing), { protocols: ['Bearer', TOKENS.bob] }, async ({ ws }) => { ws.close(); return 'opened'; })
        : await http('GET', url(missing), TOKENS.bob);
      const elapsed = performance.now() - started;
      expect(answer.status).toBe(404);
      return elapsed;
    };
    await once(false);
    await once(true); // warm-up: first requests pay for connections and lazy code
    const times: Record<'other' | 'missing', number[]> = { other: [], missing: [] };
    for (let i = 0; i < SAMPLES; i += 1) {
      times.other.push(await once(false));
      times.missing.push(await once(true));
    }
    const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? NaN;
    const [other, missing] = [median(times.other), median(times.missing)];
    expect(other).toBeLessThanOrEqual(3 * missing + 20);
    expect(missing).toBeLessThanOrEqual(3 * other + 20);
  }, TIMEOUTS.engineTest);
});
