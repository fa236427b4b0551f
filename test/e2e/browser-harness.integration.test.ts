// The browser harness itself, without Porthole: Chromium (test/support/browser.ts) against
// the browser app fixture (test/fixtures/browser-app.js) in a container, reached at the
// container's address. When these pass, a failing browser test of the proxy is about the
// proxy, not about the browser, the fixture or name resolution.
import { existsSync, statSync } from 'node:fs';
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
import { TIMEOUTS } from '../support/timeouts';

const BROWSER_APP = { command: ['node', '/app/browser-app.js'], websocket: true, waitForPorts: [8080] } as const;

describeBrowser('browser harness: Chromium against the browser app, no Porthole', () => {
  let app: FixtureContainer;
  let prefixUnaware: FixtureContainer;
  let browser: Browser;
  const pages: Page[] = [];

  const open = async (target: Browser = browser) => {
    const page = await newIsolatedPage(target);
    pages.push(page);
    return page;
  };

  beforeAll(async () => {
    [app, prefixUnaware, browser] = await Promise.all([
      startFixtureContainer(BROWSER_APP),
      startFixtureContainer({ ...BROWSER_APP, env: { PREFIX_AWARE: '0' } }),
      launchBrowser(),
    ]);
  }, TIMEOUTS.engineHook);

  afterEach(async () => {
    await Promise.all(pages.splice(0).map((page) => page.context().close()));
  });

  afterAll(async () => {
    await browser?.close();
    await removeTestContainers();
  }, TIMEOUTS.engineHook);

  it(
    'follows the redirect, loads the stylesheet, connects the WebSocket and sends the cookie back',
    async () => {
      const base = `http://${app.address}:${app.httpPort}`;
      const page = await open();
      const response = await page.goto(`${base}/`);

      expect(response?.status()).toBe(200);
      expect(page.url()).toBe(`${base}/home`);
      expect(response?.request().redirectedFrom()?.url()).toBe(`${base}/`);
      expect(await page.locator('#title').isVisible()).toBe(true);
      expect(await computedStyle(page, '#title', 'color')).toBe('rgb(1, 2, 3)');
      await waitForText(page, '#ws-status', 'connected');
      await waitForText(page, '#cookie-seen', 'yes');
      expect(await page.context().cookies()).toEqual([
        expect.objectContaining({ name: 'app_session', value: 'hello', domain: app.address, path: '/', httpOnly: true }),
      ]);

      const file = await saveScreenshot(page, 'browser-harness-direct');
      expect(statSync(file).size).toBeGreaterThan(0);
    },
    TIMEOUTS.engineTest,
  );

  it.each([
    ['one name', (ip: string) => `MAP app.preview.test ${ip}`, 'app.preview.test'],
    ['every subdomain of a test domain', (ip: string) => `MAP *.preview.test ${ip}`, 'pf-abc123.preview.test'],
  ])(
    '--host-resolver-rules maps %s to the container',
    async (_description, rules, host) => {
      const mapped = await launchBrowser({ hostResolverRules: rules(app.address) });
      try {
        const base = `http://${host}:${app.httpPort}`;
        const page = await open(mapped);
        await page.goto(`${base}/`);

        expect(page.url()).toBe(`${base}/home`);
        expect(await computedStyle(page, '#title', 'color')).toBe('rgb(1, 2, 3)');
        await waitForText(page, '#ws-status', 'connected');
        await waitForText(page, '#cookie-seen', 'yes');
        // The app saw the name, not the address: what a subdomain router will route on.
        const whoami = await page.goto(`${base}/api/whoami`);
        expect(whoami).not.toBeNull();
        expect((await whoami!.json()).headers.host).toBe(`${host}:${app.httpPort}`);
        expect(await page.context().cookies()).toEqual([expect.objectContaining({ name: 'app_session', domain: host })]);
      } finally {
        await Promise.all(pages.splice(0).map((page) => page.context().close()));
        await mapped.close();
      }
    },
    TIMEOUTS.engineTest,
  );

  // A browser cannot show this directly: the stylesheet at /p/x/style.css would 404 without
  // a proxy in front. So the page the app writes is checked from Node.
  it.each([
    ['puts the X-Forwarded-Prefix before root-absolute URLs', () => app, { 'x-forwarded-prefix': '/p/x' }, '/p/x/style.css'],
    ['drops a trailing slash of the prefix', () => app, { 'x-forwarded-prefix': '/p/x/' }, '/p/x/style.css'],
    ['writes plain root-absolute URLs without the header', () => app, {}, '/style.css'],
    ['ignores the header when PREFIX_AWARE=0', () => prefixUnaware, { 'x-forwarded-prefix': '/p/x' }, '/style.css'],
  ])(
    '/home %s',
    async (_description, target, headers: Record<string, string>, stylesheet) => {
      const container = target();
      const response = await fetch(`http://${container.address}:${container.httpPort}/home`, { headers });
      const html = await response.text();

      expect(response.status).toBe(200);
      expect(html).toContain(`<link rel="stylesheet" href="${stylesheet}">`);
      expect(html).toContain('<script src="app.js"></script>');
      expect(response.headers.get('set-cookie')).toBe('app_session=hello; Path=/; HttpOnly');
    },
    TIMEOUTS.engineTest,
  );

  it.each([
    ['/ redirects root-absolute to /home', 'GET', '/', 302, { location: '/home' }],
    ['HEAD answers like GET, without a body', 'HEAD', '/style.css', 200, { 'content-type': 'text/css; charset=utf-8' }],
    ['an unknown path is 404', 'GET', '/nope', 404, {}],
    ['other methods are 405', 'POST', '/home', 405, { allow: 'GET, HEAD' }],
  ])(
    'the app: %s',
    async (_description, method, path, status, headers: Record<string, string>) => {
      const response = await fetch(`http://${app.address}:${app.httpPort}${path}`, { method, redirect: 'manual' });
      const body = await response.text();

      expect(response.status).toBe(status);
      for (const [name, value] of Object.entries(headers)) expect(response.headers.get(name)).toBe(value);
      if (method === 'HEAD') expect(body).toBe('');
    },
    TIMEOUTS.engineTest,
  );

  it('keeps screenshots under .test-results/screenshots', async () => {
    const page = await open();
    await page.setContent('<h1>screenshot</h1>');
    const file = await saveScreenshot(page, 'browser-harness-self-check');
    expect(file).toMatch(/\.test-results\/screenshots\/browser-harness-self-check\.png$/);
    expect(existsSync(file)).toBe(true);
    await expect(saveScreenshot(page, '../escape')).rejects.toThrow('not a screenshot name');
  });
});
