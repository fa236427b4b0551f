// Custom domains against a real engine: a pro user's forward answers on a host name of its
// own, at the root, for curl (with --resolve) and for Chromium (with host resolver rules),
// until the domain moves, the forward is deleted or its container stops. Every test
// domain is pinned to 127.0.0.1 in the client: nothing ever asks a resolver for one.
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { rawRequest, sha256 } from '../support/http';
import { curl, type CurlResponse } from '../support/curl';
import { describeBrowser, launchBrowser, newIsolatedPage, saveScreenshot, waitForText, computedStyle, type Browser } from '../support/browser';
import { describeDocker, removeTestContainers, startFixtureContainer, type FixtureContainer } from '../support/docker';
import { FREE, PRO, ownedBy, writePlanTokensFile, type PlanTokensFile } from '../support/plan-users';
import { startTestPorthole, type TestPorthole } from '../support/porthole';
import { TIMEOUTS, waitFor } from '../support/timeouts';

const DOMAIN = 'app.example.test';
const PREVIEW_DOMAIN = 'preview.test';
const BROWSER_APP = { command: ['node', '/app/browser-app.js'], websocket: true, waitForPorts: [8080] } as const;

type Token = string;
interface Forward {
  readonly id: string;
  readonly custom_domain: string | null;
}

describeDocker('custom domains', () => {
  let users: PlanTokensFile;
  let porthole: TestPorthole;
  let port: string;
  /** The browser app, whose forward holds DOMAIN throughout. */
  let app: FixtureContainer;
  let holder: Forward;
  /** A second browser app: the forward that takes a domain once it is free. */
  let spare: FixtureContainer;
  /** HTTP echo containers: paula's, whose forwards move and lose domains, and fred's. */
  let paulas: FixtureContainer;
  let freds: FixtureContainer;

  beforeAll(async () => {
    users = writePlanTokensFile();
    [porthole, app, spare, paulas, freds] = await Promise.all([
      startTestPorthole({ PORTHOLE_TOKENS_FILE: users.file, PORTHOLE_PREVIEW_DOMAIN: PREVIEW_DOMAIN }),
      startFixtureContainer({ ...BROWSER_APP, labels: ownedBy(PRO) }),
      startFixtureContainer({ ...BROWSER_APP, labels: ownedBy(PRO) }),
      startFixtureContainer({ labels: ownedBy(PRO) }),
      startFixtureContainer({ labels: ownedBy(FREE) }),
    ]);
    port = new URL(porthole.url).port;
    holder = await freshForward(app, { custom_domain: DOMAIN });
  }, TIMEOUTS.engineHook);

  afterAll(async () => {
    await porthole?.close();
    await removeTestContainers();
    users?.remove();
  }, TIMEOUTS.engineHook);

  const forwards = (container: FixtureContainer) => `/api/containers/${container.id}/port-forwards`;
  const at = (domain: string, path = '/') => `http://${domain}:${port}${path}`;
  const bearer = (token: Token) => ({ authorization: `Bearer ${token}` });
  /** curl on a custom domain, the name pinned to 127.0.0.1. */
  const curlOn = (domain: string, path: string, headers: Record<string, string> = bearer(PRO.token)) =>
    curl(at(domain, path), { resolve: [domain], headers });

  /** A forward of the container's port 8080, made by its owner after removing any earlier one. */
  async function freshForward(container: FixtureContainer, fields: Record<string, unknown>, token: Token = PRO.token): Promise<Forward> {
    for (const old of (await porthole.api('GET', forwards(container), undefined, token)).json as Forward[]) {
      expect((await porthole.api('DELETE', `${forwards(container)}/${old.id}`, undefined, token)).status).toBe(204);
    }
    const created = await porthole.api('POST', forwards(container), { container_port: 8080, ...fields }, token);
    expect(created.status).toBe(201);
    return created.json as Forward;
  }

  /** Who answers `GET /` on the domain (as paula): the echo app, a browser app, or Porthole itself. */
  async function whoAnswers(domain: string): Promise<string> {
    const res = await curlOn(domain, '/');
    if (res.status === 302 && res.headers['location']?.[0] === '/home') return 'the browser app';
    if (res.status === 200 && (JSON.parse(res.body) as { method?: string }).method === 'GET') return 'the echo app';
    return `Porthole: ${res.status} ${errorCode(res)}`;
  }

  describe('routing by Host', () => {
    it('reaches the app at the root through curl --resolve, with the bearer token kept from it', async () => {
      expect(holder.custom_domain).toBe(DOMAIN);
      const seen = await curlOn(DOMAIN, '/api/whoami?x=1');
      expect(seen.status).toBe(200);
      const { headers } = JSON.parse(seen.body) as { headers: Record<string, string> };
      expect(headers['host']).toBe(`${DOMAIN}:${port}`);
      expect(headers['x-forwarded-host']).toBe(`${DOMAIN}:${port}`);
      expect(headers['x-forwarded-prefix']).toBeUndefined();
      expect(headers['authorization']).toBeUndefined();
      expect(seen.body).not.toContain(PRO.token);
      // The app's own redirect stays as it was sent: at the root there is no prefix to add.
      const root = await curlOn(DOMAIN, '/');
      expect([root.status, root.headers['location']]).toEqual([302, ['/home']]);
    }, TIMEOUTS.engineTest);

    it.each<[string, string]>([
      ['in capitals', 'APP.Example.TEST:PORT'],
      ['with a trailing dot', `${DOMAIN}.:PORT`],
      ['without a port', DOMAIN],
    ])('routes a Host %s', async (_description, host) => {
      const res = await rawRequest(porthole.url, { path: '/api/whoami', headers: { host: host.replace('PORT', port), ...bearer(PRO.token) } });
      expect(res.status).toBe(200);
      expect(JSON.parse(res.body.toString())).toHaveProperty('cookie');
    }, TIMEOUTS.engineTest);

    it.each<[string, Record<string, string>, number, string]>([
      ['no credential', {}, 401, 'unauthenticated'],
      ["the other user's bearer token: as if there were no such forward", bearer(FREE.token), 404, 'forward_not_found'],
      ['a token nobody has', bearer('not-a-token-0123456789abcdef'), 401, 'unauthenticated'],
    ])('refuses %s', async (_description, headers, status, code) => {
      const res = await curlOn(DOMAIN, '/api/whoami', headers);
      expect([res.status, errorCode(res)]).toEqual([status, code]);
      // Nor the forward's id: the other user named it by its domain, and learns no more.
      expect(res.body).not.toMatch(new RegExp(`${PRO.id}|${app.id}|${holder.id}`));
    }, TIMEOUTS.engineTest);

    it('takes an upload sent with Expect: 100-continue at once (the proxy limit, not the API one, decides)', async () => {
      await freshForward(paulas, { custom_domain: 'upload.example.test' });
      const body = randomBytes(1024 * 1024);
      const started = Date.now();
      // Without "100 Continue" curl would wait the 10 s given here before sending the body.
      const res = await curl(at('upload.example.test', '/upload'), {
        resolve: ['upload.example.test'],
        headers: { ...bearer(PRO.token), expect: '100-continue', 'content-type': 'application/octet-stream' },
        body,
        extraArgs: ['--expect100-timeout', '10'],
      });
      expect(Date.now() - started).toBeLessThan(5_000);
      expect(res.status).toBe(200);
      expect(JSON.parse(res.body)).toMatchObject({ method: 'POST', url: '/upload', bodyLength: body.length, bodySha256: sha256(body) });
    }, TIMEOUTS.engineTest);

    it('opens a one-time link: a host-only session cookie, then the app with no credential in sight', async () => {
      const link = (await porthole.api('POST', `${forwards(app)}/${holder.id}/links`, undefined, PRO.token)).json as { url: string; custom_domain_url: string };
      const token = new URL(link.url).searchParams.get('porthole_link');
      expect(link.custom_domain_url).toBe(`${at(DOMAIN)}?porthole_link=${token}`);

      const opened = await curl(link.custom_domain_url, { resolve: [DOMAIN] });
      expect([opened.status, opened.headers['location']]).toEqual([302, ['/']]);
      const setCookie = opened.headers['set-cookie']?.[0] ?? '';
      expect(setCookie).toMatch(/^porthole_session=[^;]+; Path=\/; Max-Age=\d+; HttpOnly; SameSite=Lax$/);
      expect(setCookie).not.toMatch(/domain=/i);

      const session = setCookie.split(';')[0] ?? '';
      const seen = await curlOn(DOMAIN, '/api/whoami', { cookie: `${session}; theme=dark` });
      expect(seen.status).toBe(200);
      expect((JSON.parse(seen.body) as { cookie: string }).cookie).toBe('theme=dark');
      // One token for every address of the forward, once.
      expect((await curl(link.custom_domain_url, { resolve: [DOMAIN] })).status).toBe(401);
      expect((await rawRequest(porthole.url, { path: `/p/${holder.id}/?porthole_link=${token}` })).status).toBe(401);
    }, TIMEOUTS.engineTest);
  });

  describe('the rules', () => {
    it.each<[string, Token, () => FixtureContainer, unknown, number, string, string | null]>([
      ['a free user, on their own container', FREE.token, () => freds, 'free.example.test', 403, 'plan_required', null],
      ["a free user on the pro user's container: not found comes first", FREE.token, () => spare, 'x.example.test', 404, 'container_not_found', null],
      ['a domain another forward has', PRO.token, () => spare, DOMAIN, 409, 'domain_taken', null],
      ['that domain in capitals, with a trailing dot', PRO.token, () => spare, 'App.Example.Test.', 409, 'domain_taken', null],
      ['not a host name', PRO.token, () => spare, 'not a host', 400, 'invalid_request', 'custom_domain'],
      ['a host with a port', PRO.token, () => spare, `${DOMAIN}:80`, 400, 'invalid_request', 'custom_domain'],
      ['an IP address', PRO.token, () => spare, '127.0.0.1', 400, 'invalid_request', 'custom_domain'],
      ['a host under the preview domain', PRO.token, () => spare, `pf-x.${PREVIEW_DOMAIN}`, 400, 'invalid_request', 'custom_domain'],
      ['a number', PRO.token, () => spare, 8080, 400, 'invalid_request', 'custom_domain'],
    ])('create with %s', async (_description, token, container, customDomain, status, code, field) => {
      const res = await porthole.api('POST', forwards(container()), { container_port: 8080, custom_domain: customDomain }, token);
      expect([res.status, res.json.error.code]).toEqual([status, code]);
      if (field !== null) expect(res.json.error.details[0].field).toBe(field);
      expect((await porthole.api('GET', forwards(container()))).json).toEqual([]);
    }, TIMEOUTS.engineTest);

    it.each<[string, Token, () => FixtureContainer, Record<string, unknown>, number, string | null, string | null]>([
      ['a free user setting one', FREE.token, () => freds, { custom_domain: 'free.example.test' }, 403, 'plan_required', null],
      ['a free user clearing it: no plan needed', FREE.token, () => freds, { custom_domain: null }, 200, null, null],
      ['a domain another forward has', PRO.token, () => paulas, { custom_domain: DOMAIN }, 409, 'domain_taken', null],
      ['a bad host name', PRO.token, () => paulas, { custom_domain: 'my_app.example.test' }, 400, 'invalid_request', 'custom_domain'],
      ['another field beside it', PRO.token, () => paulas, { custom_domain: null, name: 'web' }, 400, 'invalid_request', 'name'],
      ["the other user's forward", FREE.token, () => paulas, { custom_domain: null }, 404, 'container_not_found', null],
    ])('PATCH with %s', async (_description, token, container, body, status, code, field) => {
      const forward = await freshForward(container(), {}, container() === freds ? FREE.token : PRO.token);
      const res = await porthole.api('PATCH', `${forwards(container())}/${forward.id}`, body, token);
      expect([res.status, res.json.error?.code ?? null]).toEqual([status, code]);
      if (field !== null) expect(res.json.error.details[0].field).toBe(field);
      expect((await porthole.api('GET', `${forwards(container())}/${forward.id}`)).json.custom_domain).toBeNull();
      expect(await whoAnswers(DOMAIN)).toBe('the browser app');
    }, TIMEOUTS.engineTest);
  });

  describe('moving and releasing a domain', () => {
    it('PATCH moves it: the new Host answers, the old one is Porthole’s own again, and free to take', async () => {
      const forward = await freshForward(paulas, { custom_domain: 'before.example.test' });
      expect(await whoAnswers('before.example.test')).toBe('the echo app');

      const moved = await porthole.api('PATCH', `${forwards(paulas)}/${forward.id}`, { custom_domain: 'after.example.test' }, PRO.token);
      expect([moved.status, moved.json.custom_domain]).toEqual([200, 'after.example.test']);
      expect(await whoAnswers('after.example.test')).toBe('the echo app');
      // An unknown Host gets Porthole's own routes: no page at `/`, but the health probe.
      expect(await whoAnswers('before.example.test')).toBe('Porthole: 404 route_not_found');
      const health = await curlOn('before.example.test', '/healthz');
      expect([health.status, JSON.parse(health.body)]).toEqual([200, { status: 'ok' }]);

      await freshForward(spare, { custom_domain: 'before.example.test' });
      expect(await whoAnswers('before.example.test')).toBe('the browser app');
      const back = await porthole.api('PATCH', `${forwards(paulas)}/${forward.id}`, { custom_domain: 'before.example.test' }, PRO.token);
      expect([back.status, back.json.error.code]).toEqual([409, 'domain_taken']);

      const cleared = await porthole.api('PATCH', `${forwards(paulas)}/${forward.id}`, { custom_domain: null }, PRO.token);
      expect([cleared.status, cleared.json.custom_domain]).toEqual([200, null]);
      expect(await whoAnswers('after.example.test')).toBe('Porthole: 404 route_not_found');
    }, TIMEOUTS.engineTest);

    it('DELETE releases it at once', async () => {
      const forward = await freshForward(paulas, { custom_domain: 'deleted.example.test' });
      expect(await whoAnswers('deleted.example.test')).toBe('the echo app');
      expect((await porthole.api('DELETE', `${forwards(paulas)}/${forward.id}`, undefined, PRO.token)).status).toBe(204);
      expect(await whoAnswers('deleted.example.test')).toBe('Porthole: 404 route_not_found');
      await freshForward(spare, { custom_domain: 'deleted.example.test' });
      expect(await whoAnswers('deleted.example.test')).toBe('the browser app');
    }, TIMEOUTS.engineTest);

    it('docker stop releases it once the forward goes with its container', async () => {
      const stopping = await startFixtureContainer({ labels: ownedBy(PRO) });
      await freshForward(stopping, { custom_domain: 'stopped.example.test' });
      expect(await whoAnswers('stopped.example.test')).toBe('the echo app');
      await stopping.stop();
      await waitFor(
        'the stopped container’s domain to be Porthole’s again',
        async () => ((await whoAnswers('stopped.example.test')) === 'Porthole: 404 route_not_found' ? true : undefined),
        TIMEOUTS.lifecycleEvent,
        100,
      );
      expect((await porthole.api('GET', forwards(stopping))).json).toEqual([]);
      await freshForward(spare, { custom_domain: 'stopped.example.test' });
      expect(await whoAnswers('stopped.example.test')).toBe('the browser app');
    }, TIMEOUTS.engineTest);

    it('a restart keeps the domains of stored forwards, and frees those whose container stopped meanwhile', async () => {
      const dataDir = mkdtempSync(join(tmpdir(), 'porthole-domains-'));
      const env = { PORTHOLE_TOKENS_FILE: users.file, PORTHOLE_DATA_DIR: dataDir };
      const [keeps, goes] = await Promise.all([startFixtureContainer({ labels: ownedBy(PRO) }), startFixtureContainer({ labels: ownedBy(PRO) })]);
      const first = await startTestPorthole(env);
      for (const [container, domain] of [[keeps, 'kept.example.test'], [goes, 'gone.example.test']] as const) {
        expect((await first.api('POST', forwards(container), { container_port: 8080, custom_domain: domain }, PRO.token)).status).toBe(201);
      }
      await first.close();
      await goes.stop();
      const second = await startTestPorthole(env);
      try {
        const get = (domain: string) => rawRequest(second.url, { path: '/x', headers: { host: domain, ...bearer(PRO.token) } });
        const kept = await get('kept.example.test');
        expect([kept.status, JSON.parse(kept.body.toString()).url]).toEqual([200, '/x']);
        const gone = await get('gone.example.test');
        expect([gone.status, JSON.parse(gone.body.toString()).error.code]).toEqual([404, 'route_not_found']);
        const retaken = await second.api('POST', forwards(keeps), { container_port: keeps.tcpPort, custom_domain: 'gone.example.test' }, PRO.token);
        expect(retaken.status).toBe(201);
      } finally {
        await second.close();
        rmSync(dataDir, { recursive: true, force: true });
      }
    }, TIMEOUTS.engineTest);
  });

  describeBrowser('in Chromium', () => {
    let browser: Browser;

    beforeAll(async () => {
      // The custom domain is this machine, as the user's DNS record would make it.
      browser = await launchBrowser({ hostResolverRules: `MAP ${DOMAIN} 127.0.0.1` });
    }, TIMEOUTS.engineHook);
    afterAll(() => browser?.close(), TIMEOUTS.engineHook);

    it('opens the custom_domain_url link: the app renders, its WebSocket works, the session is host-only', async () => {
      const page = await newIsolatedPage(browser);
      try {
        expect((await page.goto(at(DOMAIN)))?.status()).toBe(401);
        const link = (await porthole.api('POST', `${forwards(app)}/${holder.id}/links`, undefined, PRO.token)).json as { custom_domain_url: string };
        expect((await page.goto(link.custom_domain_url))?.status()).toBe(200);
        expect(page.url()).toBe(at(DOMAIN, '/home'));
        expect(await page.locator('#title').isVisible()).toBe(true);
        expect(await computedStyle(page, '#title', 'color')).toBe('rgb(1, 2, 3)');
        await waitForText(page, '#ws-status', 'connected');
        await waitForText(page, '#cookie-seen', 'yes');
        const cookies = await page.context().cookies();
        // Host-only: a cookie set with a Domain attribute would read ".app.example.test".
        expect(cookies.find((c) => c.name === 'porthole_session')).toMatchObject({ domain: DOMAIN, path: '/', httpOnly: true, sameSite: 'Lax' });
        expect(cookies.find((c) => c.name === 'app_session')).toMatchObject({ domain: DOMAIN, path: '/' });
        await saveScreenshot(page, 'custom-domain');
      } finally {
        await page.context().close();
      }
    }, TIMEOUTS.engineTest);
  });
});

function errorCode(res: CurlResponse): string {
  try {
    return (JSON.parse(res.body) as { error: { code: string } }).error.code;
  } catch {
    return `(not a Porthole error: ${res.body.slice(0, 80)})`;
  }
}
