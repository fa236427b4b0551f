// A person opening a forward in a real browser (README "Browsers"): headless Chromium
// against the browser app fixture in a real container, through Porthole, in both modes.
// The app redirects `/` to `/home` (root-absolute), sets a cookie, loads a script by a
// relative path and a stylesheet by a root-absolute one, and opens a WebSocket.
import {
  computedStyle,
  describeBrowser,
  launchBrowser,
  newIsolatedPage,
  saveScreenshot,
  waitForText,
  type Browser,
  type Page,
} from '../support/browser';
import { removeTestContainers, startFixtureContainer, type FixtureContainer } from '../support/docker';
import { startTestPorthole, type TestPorthole } from '../support/porthole';
import { TIMEOUTS } from '../support/timeouts';

const BROWSER_APP = { command: ['node', '/app/browser-app.js'], websocket: true, waitForPorts: [8080] } as const;
const PREVIEW_DOMAIN = 'preview.test';

interface Link {
  readonly url: string;
}

describeBrowser('a browser through Porthole', () => {
  let porthole: TestPorthole;
  let prefixAware: FixtureContainer;
  let unmodified: FixtureContainer;
  let browser: Browser;
  const pages: Page[] = [];

  beforeAll(async () => {
    [porthole, prefixAware, unmodified, browser] = await Promise.all([
      startTestPorthole({ PORTHOLE_PREVIEW_DOMAIN: PREVIEW_DOMAIN }),
      startFixtureContainer(BROWSER_APP),
      // An app that knows nothing of prefixes: it links /style.css whatever the headers say.
      startFixtureContainer({ ...BROWSER_APP, env: { PREFIX_AWARE: '0' } }),
      // Every preview host is this machine, as a wildcard DNS record would make it.
      launchBrowser({ hostResolverRules: `MAP *.${PREVIEW_DOMAIN} 127.0.0.1` }),
    ]);
  }, TIMEOUTS.engineHook);

  afterEach(async () => {
    await Promise.all(pages.splice(0).map((page) => page.context().close()));
  });

  afterAll(async () => {
    await browser?.close();
    await porthole?.close();
    await removeTestContainers();
  }, TIMEOUTS.engineHook);

  async function open(): Promise<Page> {
    const page = await newIsolatedPage(browser);
    pages.push(page);
    return page;
  }

  /** A fresh forward of the app's port 8080 (an earlier test's forward is removed first). */
  async function forwardTo(app: FixtureContainer): Promise<{ id: string; proxy_url: string; link: () => Promise<string> }> {
    const existing = (await porthole.api('GET', `/api/containers/${app.id}/port-forwards`)).json as { id: string }[];
    for (const old of existing) await porthole.api('DELETE', `/api/containers/${app.id}/port-forwards/${old.id}`);
    const created = await porthole.api('POST', `/api/containers/${app.id}/port-forwards`, { container_port: 8080 });
    expect(created.status).toBe(201);
    const forward = created.json as { id: string; proxy_url: string };
    const link = async () => {
      const issued = await porthole.api('POST', `/api/containers/${app.id}/port-forwards/${forward.id}/links`);
      expect(issued.status).toBe(201);
      return (issued.json as Link).url;
    };
    return { ...forward, link };
  }

  /** Everything the app page does worked: redirect, script, stylesheet, cookie, WebSocket. */
  async function expectAppWorks(page: Page): Promise<void> {
    expect(await page.locator('#title').isVisible()).toBe(true);
    expect(await computedStyle(page, '#title', 'color')).toBe('rgb(1, 2, 3)');
    await waitForText(page, '#ws-status', 'connected');
    await waitForText(page, '#cookie-seen', 'yes');
    expect(page.url()).not.toMatch(/porthole_(token|link)/);
  }

  it(
    'path mode: a 401 page without a session, then the app whole through a one-time link',
    async () => {
      const forward = await forwardTo(prefixAware);
      const pathUrl = `${porthole.url}/p/${forward.id}/`;
      const page = await open();

      const refused = await page.goto(pathUrl);
      expect(refused?.status()).toBe(401);
      expect(await page.textContent('body')).toContain('porthole_token');

      const link = (await forward.link()).replace(/^https?:\/\/[^/]+\/?/, '');
      // Subdomain mode is on, so the link names the preview host; the same token opens
      // the path form too (a link is for a forward, not for one of its addresses).
      const token = new URL(link, 'http://x').searchParams.get('porthole_link');
      const opened = await page.goto(`${pathUrl}?porthole_link=${token}`);
      expect(opened?.status()).toBe(200);
      expect(page.url()).toBe(`${pathUrl}home`);
      await expectAppWorks(page);
      const cookies = await page.context().cookies();
      expect(cookies.find((c) => c.name === 'porthole_session')).toMatchObject({ path: `/p/${forward.id}/`, httpOnly: true, sameSite: 'Lax' });
      expect(cookies.find((c) => c.name === 'app_session')).toMatchObject({ path: `/p/${forward.id}/` });
      await saveScreenshot(page, 'browser-path-mode');

      // Used once: the same link now gets the 401 page.
      const again = await (await open()).goto(`${pathUrl}?porthole_link=${token}`);
      expect(again?.status()).toBe(401);
    },
    TIMEOUTS.engineTest,
  );

  it(
    'subdomain mode: an unmodified app with root-absolute paths, through the link the API gives',
    async () => {
      const forward = await forwardTo(unmodified);
      const host = `${forward.id.replace('pf_', 'pf-')}.${PREVIEW_DOMAIN}`;
      expect(new URL(forward.proxy_url).hostname).toBe(host);
      const page = await open();

      const refused = await page.goto(forward.proxy_url);
      expect(refused?.status()).toBe(401);

      const opened = await page.goto(await forward.link());
      expect(opened?.status()).toBe(200);
      expect(page.url()).toBe(`${forward.proxy_url}home`);
      await expectAppWorks(page);
      const session = (await page.context().cookies()).find((c) => c.name === 'porthole_session');
      expect(session).toMatchObject({ domain: host, path: '/', httpOnly: true });
      await saveScreenshot(page, 'browser-subdomain-mode');
    },
    TIMEOUTS.engineTest,
  );

  it(
    "path mode also takes the API token once in the address, and the address bar keeps no credential",
    async () => {
      const forward = await forwardTo(prefixAware);
      const page = await open();
      const opened = await page.goto(`${porthole.url}/p/${forward.id}/?porthole_token=${porthole.adminToken}`);
      expect(opened?.status()).toBe(200);
      expect(page.url()).toBe(`${porthole.url}/p/${forward.id}/home`);
      await expectAppWorks(page);
    },
    TIMEOUTS.engineTest,
  );
});
