import { ExitCode } from '../cli-error';
import { freshConfigHome, removeConfigHomes, runToEnd } from '../testing/cli-harness';
import { ADMIN_TOKEN, ALICE_TOKEN, WEB_CONTAINER, startTestPorthole, unusedPort, type TestPorthole } from '../testing/test-porthole';

afterAll(removeConfigHomes);

let porthole: TestPorthole;
let env: Record<string, string>;

beforeEach(async () => {
  porthole = await startTestPorthole();
  env = { PORTHOLE_URL: porthole.origin, PORTHOLE_TOKEN: ADMIN_TOKEN, XDG_CONFIG_HOME: freshConfigHome() };
  // The fake runtime knows container "web" (WEB_CONTAINER); give it ports to forward.
  porthole.runtime.listen(WEB_CONTAINER, 8000, { host: '127.0.0.1', port: await unusedPort() });
  porthole.runtime.listen(WEB_CONTAINER, 5432, { host: '127.0.0.1', port: await unusedPort() });
});

afterEach(() => porthole.close());

const porthole_ = (...argv: string[]) => runToEnd(argv, { env });

describe('porthole forward', () => {
  it('creates a forward and shows it to people', async () => {
    const result = await porthole_('forward', 'create', 'web', '8000', '--name', 'Web Server');
    expect(result).toMatchObject({ code: ExitCode.ok, stderr: '' });
    const id = /^id\s+(pf_\w+)$/m.exec(result.stdout)?.[1];
    expect(id).toBeDefined();
    expect(result.stdout).toMatch(/^name\s+Web Server$/m);
    expect(result.stdout).toMatch(new RegExp(`^container\\s+${WEB_CONTAINER}$`, 'm'));
    expect(result.stdout).toMatch(/^port\s+8000$/m);
    expect(result.stdout).toMatch(/^local port\s+20\d\d\d$/m);
    expect(result.stdout).toMatch(new RegExp(`^tunnel\\s+porthole connect ${id}$`, 'm'));
  });

  it('creates with --json, --local-port and no name, as the API answers', async () => {
    const result = await porthole_('forward', 'create', 'web', '5432', '--local-port', '20123', '--json');
    expect(result.code).toBe(ExitCode.ok);
    const forward = JSON.parse(result.stdout);
    expect(forward).toMatchObject({ container_id: WEB_CONTAINER, container_port: 5432, local_port: 20123, name: null });
    expect(forward.id).toMatch(/^pf_/);
  });

  it('creates with --domain: the custom domain, and its URL for people', async () => {
    const json = JSON.parse((await porthole_('forward', 'create', 'web', '5432', '--domain', 'DB.Example.com', '--json')).stdout);
    expect(json).toMatchObject({ container_port: 5432, custom_domain: 'db.example.com' });
    const human = await porthole_('forward', 'create', 'web', '8000', '--domain', 'app.example.com');
    expect(human).toMatchObject({ code: ExitCode.ok, stderr: '' });
    // The test server's public URL is http://porthole.test: http, no port.
    expect(human.stdout).toMatch(/^proxy\s+http:\/\/porthole\.test\/p\/pf_\w+\/\ndomain\s+http:\/\/app\.example\.com\/\ntunnel\s/m);
  });

  it('lists forwards as a table, oldest first, and as JSON', async () => {
    await porthole_('forward', 'create', 'web', '8000', '--name', 'Web Server');
    await porthole_('forward', 'create', 'web', '5432');
    const table = await porthole_('forward', 'ls', 'web');
    expect(table.code).toBe(ExitCode.ok);
    const lines = table.stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^ID\s+NAME\s+PORT\s+LOCAL PORT\s+CREATED$/);
    expect(lines[1]).toMatch(/^pf_\w+\s+Web Server\s+8000\s+20\d{3}\s+\d{4}-\d\d-\d\d \d\d:\d\d:\d\dZ$/);
    expect(lines[2]).toMatch(/^pf_\w+\s+-\s+5432\s+/);
    const json = await porthole_('forward', 'ls', WEB_CONTAINER.slice(0, 12), '--json');
    expect(JSON.parse(json.stdout).map((f: { container_port: number }) => f.container_port)).toEqual([8000, 5432]);
  });

  it('says so when there are no forwards (and [] for scripts)', async () => {
    expect((await porthole_('forward', 'ls', 'web')).stdout).toBe('No forwards for web.\n');
    expect(JSON.parse((await porthole_('forward', 'ls', 'web', '--json')).stdout)).toEqual([]);
  });

  it('removes a forward', async () => {
    const created = JSON.parse((await porthole_('forward', 'create', 'web', '8000', '--json')).stdout);
    expect(await porthole_('forward', 'rm', 'web', created.id)).toEqual({ code: ExitCode.ok, stdout: `Removed ${created.id}.\n`, stderr: '' });
    expect(JSON.parse((await porthole_('forward', 'ls', 'web', '--json')).stdout)).toEqual([]);
    const again = await porthole_('forward', 'rm', 'web', created.id, '--json');
    expect(again).toEqual({ code: ExitCode.failure, stdout: '', stderr: `porthole: No port forward "${created.id}" was found.\n` });
  });

  it('prints a one-time browser link, and its JSON for scripts', async () => {
    const created = JSON.parse((await porthole_('forward', 'create', 'web', '8000', '--json')).stdout);
    const human = await porthole_('forward', 'link', 'web', created.id);
    expect(human.code).toBe(ExitCode.ok);
    expect(human.stdout).toMatch(new RegExp(`^http://porthole\\.test/p/${created.id}/\\?porthole_link=[\\w-]{43}\\nOpen it in a browser before \\S+; it works once\\.\\n$`));
    const json = JSON.parse((await porthole_('forward', 'link', 'web', created.id, '--json')).stdout);
    expect(Object.keys(json).sort()).toEqual(['expires_at', 'url']);
    expect(await porthole_('forward', 'link', 'web', 'pf_000000000000000000000000')).toEqual({
      code: ExitCode.failure,
      stdout: '',
      stderr: 'porthole: No port forward "pf_000000000000000000000000" was found.\n',
    });
  });

  it('prints the link on the custom domain too, when the forward has one', async () => {
    const created = JSON.parse((await porthole_('forward', 'create', 'web', '8000', '--domain', 'app.example.com', '--json')).stdout);
    const human = await porthole_('forward', 'link', 'web', created.id);
    expect(human.code).toBe(ExitCode.ok);
    const [proxy, domain, note] = human.stdout.split('\n');
    expect(proxy).toMatch(new RegExp(`^http://porthole\\.test/p/${created.id}/\\?porthole_link=[\\w-]{43}$`));
    // One token for both addresses.
    expect(domain).toBe(`http://app.example.com/?porthole_link=${new URL(proxy ?? '').searchParams.get('porthole_link')}`);
    expect(note).toMatch(/^Open either in a browser before \S+; the link works once, at one of them\.$/);
    const json = JSON.parse((await porthole_('forward', 'link', 'web', created.id, '--json')).stdout);
    expect(Object.keys(json)).toEqual(['url', 'custom_domain_url', 'expires_at']);
    expect(json.custom_domain_url).toMatch(/^http:\/\/app\.example\.com\/\?porthole_link=[\w-]{43}$/);
  });

  it('prints {"id", "removed"} for scripts', async () => {
    const created = JSON.parse((await porthole_('forward', 'create', 'web', '8000', '--json')).stdout);
    const removed = await porthole_('forward', 'rm', 'web', created.id, '--json');
    expect(JSON.parse(removed.stdout)).toEqual({ id: created.id, removed: true });
  });

  // One line, the server's message, exit 1: for people and scripts alike.
  it.each([
    ['an unknown container (404)', ['forward', 'ls', 'nope'], ADMIN_TOKEN, 'porthole: No container named "nope" was found.\n'],
    ['a local port outside the range (409)', ['forward', 'create', 'web', '5432', '--local-port', '9'], ADMIN_TOKEN, /^porthole: [^\n]*\b9\b[^\n]*\n$/],
    ['a port forwarded twice (403)', ['forward', 'create', 'web', '8000', '--json'], ADMIN_TOKEN, 'porthole: Port 8000 is already forwarded for this container.\n'],
    ["someone else's container (404 for Alice)", ['forward', 'ls', 'bobs'], ALICE_TOKEN, 'porthole: No container named "bobs" was found.\n'],
    ['a custom domain on the free plan (403)', ['forward', 'create', 'web', '5432', '--domain', 'a.example.com'], ALICE_TOKEN, 'porthole: Custom domains need the pro or enterprise plan; yours is free.\n'],
    ['a custom domain that is no host name (400)', ['forward', 'create', 'web', '5432', '--domain', 'a b'], ADMIN_TOKEN, 'porthole: custom_domain must be a host name such as "app.example.com" (letters, digits and hyphens, dot-separated, no port); got "a b".\n'],
  ])('reports %s as the server words it', async (_description, argv, token, expected) => {
    await porthole_('forward', 'create', 'web', '8000');
    const result = await runToEnd(argv, { env: { ...env, PORTHOLE_TOKEN: token } });
    expect(result.code).toBe(ExitCode.failure);
    expect(result.stdout).toBe('');
    if (typeof expected === 'string') expect(result.stderr).toBe(expected);
    else expect(result.stderr).toMatch(expected);
  });

  it('reports a bad token (401) with what to do', async () => {
    const result = await runToEnd(['forward', 'ls', 'web'], { env: { ...env, PORTHOLE_TOKEN: 'wrong-token-0123456789' } });
    expect(result.code).toBe(ExitCode.failure);
    expect(result.stderr).toBe(
      'porthole: A valid credential is required: send "Authorization: Bearer <token>". (check the token: run `porthole login`, or set PORTHOLE_TOKEN)\n',
    );
  });

  it('reports a server that cannot be reached', async () => {
    const url = `http://127.0.0.1:${await unusedPort()}`;
    const result = await runToEnd(['forward', 'ls', 'web'], { env: { ...env, PORTHOLE_URL: url } });
    expect(result).toEqual({ code: ExitCode.failure, stdout: '', stderr: `porthole: cannot reach Porthole at ${url}: connection refused\n` });
  });

  it('asks for a login when there is none', async () => {
    const result = await runToEnd(['forward', 'ls', 'web'], { env: { XDG_CONFIG_HOME: freshConfigHome() } });
    expect(result).toEqual({
      code: ExitCode.failure,
      stdout: '',
      stderr: 'porthole: no Porthole URL: run `porthole login`, or set PORTHOLE_URL and PORTHOLE_TOKEN\n',
    });
  });
});

describe('porthole forward domain', () => {
  const USAGE = 'usage: porthole forward domain <container> <forward id> <domain | --clear> [--json]';
  let id: string;

  beforeEach(async () => {
    id = JSON.parse((await porthole_('forward', 'create', 'web', '8000', '--domain', 'kept.example.com', '--json')).stdout).id;
  });

  const domainNow = async () => JSON.parse((await porthole_('forward', 'ls', 'web', '--json')).stdout)[0].custom_domain;

  it('sets a domain and shows the forward, moves it, and clears it', async () => {
    const set = await porthole_('forward', 'domain', 'web', id, 'App.Example.com');
    expect(set).toMatchObject({ code: ExitCode.ok, stderr: '' });
    expect(set.stdout).toMatch(new RegExp(`^id\\s+${id}$`, 'm'));
    expect(set.stdout).toMatch(/^domain\s+http:\/\/app\.example\.com\/$/m);
    const table = (await porthole_('forward', 'ls', 'web')).stdout.split('\n');
    expect(table[0]).toMatch(/^ID\s+NAME\s+PORT\s+LOCAL PORT\s+CREATED\s+DOMAIN$/);
    expect(table[1]).toMatch(new RegExp(`^${id}\\s+-\\s+8000\\s+20\\d{3}\\s+\\S+ \\S+\\s+app\\.example\\.com$`));

    const cleared = await porthole_('forward', 'domain', 'web', id, '--clear');
    expect(cleared).toMatchObject({ code: ExitCode.ok, stderr: '' });
    expect(cleared.stdout).not.toMatch(/^domain/m);
    expect(await domainNow()).toBeNull();
    expect((await porthole_('forward', 'ls', 'web')).stdout.split('\n')[0]).toMatch(/^ID\s+NAME\s+PORT\s+LOCAL PORT\s+CREATED$/);
  });

  /** The command line after `forward domain`, with ID standing for the forward's id. */
  const domainArgs = (args: readonly string[]) => ['forward', 'domain', ...args.map((arg) => (arg === 'ID' ? id : arg))];

  it.each<[string, string[], string | null]>([
    ['a domain', ['web', 'ID', 'web.example.com', '--json'], 'web.example.com'],
    ['--clear', ['web', 'ID', '--clear', '--json'], null],
    ['--clear and --json before the positionals', ['--clear', '--json', 'web', 'ID'], null],
  ])('prints the forward as the API answers it for %s', async (_description, args, domain) => {
    const result = await porthole_(...domainArgs(args));
    expect(result).toMatchObject({ code: ExitCode.ok, stderr: '' });
    expect(JSON.parse(result.stdout)).toMatchObject({ id, container_id: WEB_CONTAINER, custom_domain: domain });
    expect(await domainNow()).toBe(domain);
  });

  // Nothing reaches the server: the forward keeps its domain.
  it.each([
    ['both a domain and --clear', ['web', 'ID', 'app.example.com', '--clear'], 'give a <domain> or --clear, not both'],
    ['neither a domain nor --clear', ['web', 'ID'], 'missing <domain> (or --clear to remove it)'],
    ['neither, with --json', ['web', 'ID', '--json'], 'missing <domain> (or --clear to remove it)'],
    ['no forward id', ['web', '--clear'], 'missing <forward id>'],
    ['two domains', ['web', 'ID', 'a.example.com', 'b.example.com'], 'unexpected argument "b.example.com"'],
    ['a value for --clear', ['web', 'ID', '--clear=yes'], '--clear takes no value'],
  ])('refuses %s as a usage error (exit 2)', async (_description, args, problem) => {
    expect(await porthole_(...domainArgs(args))).toEqual({ code: ExitCode.usage, stdout: '', stderr: `porthole: ${problem}; ${USAGE}\n` });
    expect(await domainNow()).toBe('kept.example.com');
  });

  it.each([
    ['the free plan setting one (403)', 'app.example.com', ALICE_TOKEN, 'porthole: Custom domains need the pro or enterprise plan; yours is free.\n'],
    ['a domain another forward has (409)', 'taken.example.com', ADMIN_TOKEN, 'porthole: The domain taken.example.com is already used by another port forward.\n'],
    [
      'a domain that is no host name (400)',
      'app.example.com:8080',
      ADMIN_TOKEN,
      'porthole: custom_domain must be a host name such as "app.example.com" (letters, digits and hyphens, dot-separated, no port); got "app.example.com:8080".\n',
    ],
  ])('reports %s as the server words it', async (_description, domain, token, stderr) => {
    await porthole_('forward', 'create', 'web', '5432', '--domain', 'taken.example.com');
    const result = await runToEnd(['forward', 'domain', 'web', id, domain], { env: { ...env, PORTHOLE_TOKEN: token } });
    expect(result).toEqual({ code: ExitCode.failure, stdout: '', stderr });
    expect(await domainNow()).toBe('kept.example.com');
  });

  it('lets the free plan clear a domain, and reports an unknown forward (404)', async () => {
    const alice = { env: { ...env, PORTHOLE_TOKEN: ALICE_TOKEN } };
    expect((await runToEnd(['forward', 'domain', 'web', id, '--clear'], alice)).code).toBe(ExitCode.ok);
    expect(await domainNow()).toBeNull();
    expect(await porthole_('forward', 'domain', 'web', 'pf_000000000000000000000000', '--clear')).toEqual({
      code: ExitCode.failure,
      stdout: '',
      stderr: 'porthole: No port forward "pf_000000000000000000000000" was found.\n',
    });
  });
});
