/**
 * Helpers for tests that drive a real headless Chromium (`*.integration.test.ts`).
 *
 *   describeBrowser('...', () => {
 *     let browser: Browser;
 *     beforeAll(async () => { browser = await launchBrowser({ hostResolverRules: 'MAP *.preview.test 127.0.0.1' }); }, TIMEOUTS.engineHook);
 *     afterAll(() => browser?.close(), TIMEOUTS.engineHook);
 *     it('...', async () => { const page = await browser.newPage(); await page.goto(url); ... });
 *   });
 *
 * The browser is Debian's `chromium` package (`apt-get install chromium`; .ci/run installs
 * it) driven by playwright-core over CDP. playwright-core is pinned to the release whose
 * bundled Chromium has the same major version as Debian's, because CDP changes between
 * majors; `npx playwright install` is never needed (and cannot download anything here).
 * PORTHOLE_CHROMIUM points at another binary.
 *
 * Browser suites also load fixture apps from containers (test/fixtures/browser-app.js),
 * so `describeBrowser` runs only when both Chromium and the Docker engine are available.
 * A missing Chromium skips them, unless PORTHOLE_REQUIRE_DOCKER=1 (CI), which makes every
 * file importing this module fail saying what is missing, as global-setup.js does for a
 * missing engine.
 */
import { accessSync, constants, mkdirSync } from 'node:fs';
import path from 'node:path';
import { chromium, type Browser, type BrowserContextOptions, type Page } from 'playwright-core';
import { dockerAvailable } from './docker';

export type { Browser, BrowserContext, Page } from 'playwright-core';

/** The Chromium binary: PORTHOLE_CHROMIUM, else Debian's launcher script. */
export const CHROMIUM_PATH = process.env['PORTHOLE_CHROMIUM'] || '/usr/bin/chromium';

/** Waits in browser tests, in the spirit of TIMEOUTS in timeouts.ts. */
export const BROWSER_TIMEOUTS = {
  /** Chromium from spawn to accepting CDP commands. */
  launch: 30_000,
  /** Default for every page action (goto, waits, clicks) in contexts of newIsolatedPage. */
  pageAction: 10_000,
} as const;

/** Where saveScreenshot writes; .test-results/ is kept as a CI artifact. */
export const SCREENSHOTS_DIR = path.resolve(__dirname, '../../.test-results/screenshots');

const missingBrowser = whyNoBrowser();

if (missingBrowser !== null && process.env['PORTHOLE_REQUIRE_DOCKER'] === '1') {
  throw new Error(
    `PORTHOLE_REQUIRE_DOCKER=1 but the browser tests cannot run: ${missingBrowser}. ` +
      'Install it with `apt-get install -y chromium` (or set PORTHOLE_CHROMIUM to a Chromium binary).',
  );
}

/** True when a Chromium binary is there to launch. */
export const browserAvailable = missingBrowser === null;

/** `describe` when Chromium and a Docker engine are available, else `describe.skip`. */
export const describeBrowser: jest.Describe = browserAvailable && dockerAvailable ? describe : describe.skip;

export interface LaunchOptions {
  /**
   * Chromium's `--host-resolver-rules`, e.g. `MAP *.preview.test 127.0.0.1` (comma-separated
   * rules; `MAP host ip`, `EXCLUDE host`). Names that no rule maps are still resolved by
   * the system, so an unmapped test domain fails with ERR_NAME_NOT_RESOLVED.
   */
  readonly hostResolverRules?: string;
}

/** A headless Chromium; close it in afterAll (it is a child process of this worker). */
export async function launchBrowser(options: LaunchOptions = {}): Promise<Browser> {
  const args = [
    // Every page a test opens is on this machine or a container of the test engine: a
    // proxy from the environment (http_proxy, ...) must not stand in between.
    '--no-proxy-server',
  ];
  if (options.hostResolverRules !== undefined) args.push(`--host-resolver-rules=${options.hostResolverRules}`);
  return chromium.launch({
    executablePath: CHROMIUM_PATH,
    headless: true,
    args,
    // Chromium refuses to start its sandbox as root (and CI runs as root); the pages are
    // our own fixtures, so the sandbox would protect nothing. This passes --no-sandbox.
    chromiumSandbox: false,
    timeout: BROWSER_TIMEOUTS.launch,
  });
}

/**
 * A page in a context of its own: its own cookies, storage and cache, so tests do not see
 * each other's sessions. Close it with `page.context().close()`.
 */
export async function newIsolatedPage(browser: Browser, options: BrowserContextOptions = {}): Promise<Page> {
  const context = await browser.newContext(options);
  context.setDefaultTimeout(BROWSER_TIMEOUTS.pageAction);
  return context.newPage();
}

/** Resolves once the element at `selector` has exactly `expected` as text; else says what it has. */
export async function waitForText(page: Page, selector: string, expected: string, timeoutMs: number = BROWSER_TIMEOUTS.pageAction): Promise<void> {
  const exactly = new RegExp(`^${escapeRegExp(expected)}$`);
  try {
    await page.locator(selector).filter({ hasText: exactly }).waitFor({ timeout: timeoutMs });
  } catch (error) {
    const actual = await page.locator(selector).textContent({ timeout: 1_000 }).catch(() => '(no such element)');
    throw new Error(`${selector} did not read ${JSON.stringify(expected)} within ${timeoutMs} ms; it reads ${JSON.stringify(actual)} (${(error as Error).message.split('\n')[0]})`);
  }
}

/** `getComputedStyle(element).getPropertyValue(property)` of the first match of `selector`. */
export function computedStyle(page: Page, selector: string, property: string): Promise<string> {
  // A string expression rather than a function: this project compiles without the DOM lib,
  // and a string cannot be rewritten by coverage instrumentation before it reaches the page.
  return page.evaluate<string>(
    `getComputedStyle(document.querySelector(${JSON.stringify(selector)})).getPropertyValue(${JSON.stringify(property)})`,
  );
}

/**
 * Writes a full-page PNG to .test-results/screenshots/<name>.png and returns its path.
 * `name` may contain only letters, digits, `-`, `_` and `.`, so it stays one file there.
 */
export async function saveScreenshot(page: Page, name: string): Promise<string> {
  if (!/^[\w.-]+$/.test(name) || name.startsWith('.')) throw new Error(`not a screenshot name: ${JSON.stringify(name)}`);
  mkdirSync(SCREENSHOTS_DIR, { recursive: true });
  const file = path.join(SCREENSHOTS_DIR, `${name}.png`);
  await page.screenshot({ path: file, fullPage: true });
  return file;
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** Null when the Chromium binary is there and executable, else what is missing. */
function whyNoBrowser(): string | null {
  try {
    accessSync(CHROMIUM_PATH, constants.X_OK);
    return null;
  } catch {
    return process.env['PORTHOLE_CHROMIUM']
      ? `PORTHOLE_CHROMIUM=${CHROMIUM_PATH} is not an executable file`
      : `Chromium is not installed (no ${CHROMIUM_PATH})`;
  }
}
