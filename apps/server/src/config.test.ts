import { tokenDigest } from '@porthole/http-api';
import { ConfigError, parseConfig } from './config';

describe('parseConfig', () => {
  it('has the documented defaults', () => {
    expect(parseConfig({})).toEqual({
      host: '127.0.0.1',
      port: 8080,
      publicUrl: undefined,
      runtime: 'auto',
      dockerHost: undefined,
      k8sNamespace: undefined,
      k8sDial: 'auto',
      adminToken: undefined,
      tokens: [],
      jwt: undefined,
      localPorts: { first: 20000, last: 29999 },
      localBind: '127.0.0.1',
      maxForwardsPerContainer: 10,
      planLimits: {},
      proxyMaxBytes: 104857600,
      proxyIdleTimeoutMs: 300000,
      tunnelBytesPerSecond: 10485760,
      tunnelIdleTimeoutMs: 300000,
      previewDomain: undefined,
      reservedDomains: [],
      sessionTtlMs: 86400000,
      linkTtlMs: 300000,
      logLevel: 'info',
      dataDir: './data',
    });
  });

  it.each<[string, Record<string, string>, Partial<ReturnType<typeof parseConfig>>]>([
    ['a public URL with a trailing slash', { PORTHOLE_PUBLIC_URL: 'https://p.example.com/' }, { publicUrl: 'https://p.example.com' }],
    ['a public URL with a path', { PORTHOLE_PUBLIC_URL: 'https://example.com/porthole/' }, { publicUrl: 'https://example.com/porthole' }],
    ['another host and port', { PORTHOLE_HOST: '0.0.0.0', PORTHOLE_PORT: '9000' }, { host: '0.0.0.0', port: 9000 }],
    ['a host name', { PORTHOLE_HOST: 'localhost' }, { host: 'localhost' }],
    ['an IPv6 host', { PORTHOLE_HOST: '::1' }, { host: '::1' }],
    ['an IPv6 local bind', { PORTHOLE_LOCAL_BIND: '::1' }, { localBind: '::1' }],
    ['a port range', { PORTHOLE_LOCAL_PORTS: '30000-30010' }, { localPorts: { first: 30000, last: 30010 } }],
    ['unlimited tunnel rate', { PORTHOLE_TUNNEL_BYTES_PER_SECOND: '0' }, { tunnelBytesPerSecond: 0 }],
    ['no proxy idle timeout', { PORTHOLE_PROXY_IDLE_TIMEOUT_MS: '0' }, { proxyIdleTimeoutMs: 0 }],
    ['blank values count as unset', { PORTHOLE_PORT: '  ' }, { port: 8080 }],
    ['the docker runtime', { PORTHOLE_RUNTIME: 'docker' }, { runtime: 'docker' }],
    ['the kubernetes runtime, a namespace and a dial mode', { PORTHOLE_RUNTIME: 'kubernetes', PORTHOLE_K8S_NAMESPACE: 'sandboxes', PORTHOLE_K8S_DIAL: 'apiserver' }, { runtime: 'kubernetes', k8sNamespace: 'sandboxes', k8sDial: 'apiserver' }],
    ['a preview domain, lower-cased, final dot dropped', { PORTHOLE_PREVIEW_DOMAIN: 'Preview.Example.com.' }, { previewDomain: 'preview.example.com' }],
    ['localhost as the preview domain (browsers resolve *.localhost themselves)', { PORTHOLE_PREVIEW_DOMAIN: 'localhost' }, { previewDomain: 'localhost' }],
    ['JWTs with a secret, an issuer and an audience', { PORTHOLE_JWT_SECRET: 's'.repeat(32), PORTHOLE_JWT_ISSUER: 'https://id.example', PORTHOLE_JWT_AUDIENCE: 'porthole' }, { jwt: { secret: 's'.repeat(32), issuer: 'https://id.example', audience: 'porthole' } }],
    ['JWTs against a JWKS', { PORTHOLE_JWKS_URL: 'https://id.example/jwks.json' }, { jwt: { jwksUrl: 'https://id.example/jwks.json' } }],
    ['a data directory', { PORTHOLE_DATA_DIR: '/var/lib/porthole' }, { dataDir: '/var/lib/porthole' }],
    ['forwards in memory only', { PORTHOLE_DATA_DIR: ':memory:' }, { dataDir: ':memory:' }],
    ['names Porthole is also reached by', { PORTHOLE_RESERVED_DOMAINS: 'Porthole.Corp.internal., alias.example.com' }, { reservedDomains: ['porthole.corp.internal', 'alias.example.com'] }],
    ['caps for some plans', { PORTHOLE_PLAN_MAX_FORWARDS: 'free=3, enterprise=50' }, { planLimits: { free: { maxForwardsPerContainer: 3 }, enterprise: { maxForwardsPerContainer: 50 } } }],
    ['session and link lifetimes', { PORTHOLE_SESSION_TTL_MS: '3600000', PORTHOLE_LINK_TTL_MS: '60000' }, { sessionTtlMs: 3600000, linkTtlMs: 60000 }],
  ])('reads %s', (_description, env, expected) => {
    expect(parseConfig(env)).toMatchObject(expected);
  });

  it.each<[string, Record<string, string>, string]>([
    ['a port that is not a number', { PORTHOLE_PORT: 'eighty' }, 'PORTHOLE_PORT'],
    ['a port out of range', { PORTHOLE_PORT: '70000' }, 'PORTHOLE_PORT'],
    ['a negative cap', { PORTHOLE_MAX_FORWARDS_PER_CONTAINER: '-1' }, 'PORTHOLE_MAX_FORWARDS_PER_CONTAINER'],
    ['a zero cap', { PORTHOLE_MAX_FORWARDS_PER_CONTAINER: '0' }, 'PORTHOLE_MAX_FORWARDS_PER_CONTAINER'],
    ['a reserved domain with a port', { PORTHOLE_RESERVED_DOMAINS: 'alias.example.com:8080' }, 'PORTHOLE_RESERVED_DOMAINS'],
    ['an unknown plan', { PORTHOLE_PLAN_MAX_FORWARDS: 'gold=3' }, 'PORTHOLE_PLAN_MAX_FORWARDS'],
    ['a plan named twice', { PORTHOLE_PLAN_MAX_FORWARDS: 'free=3,free=4' }, 'PORTHOLE_PLAN_MAX_FORWARDS'],
    ['a plan cap of zero', { PORTHOLE_PLAN_MAX_FORWARDS: 'pro=0' }, 'PORTHOLE_PLAN_MAX_FORWARDS'],
    ['a plan without a cap', { PORTHOLE_PLAN_MAX_FORWARDS: 'pro' }, 'PORTHOLE_PLAN_MAX_FORWARDS'],
    ['an unknown runtime', { PORTHOLE_RUNTIME: 'podman' }, 'PORTHOLE_RUNTIME'],
    ['a relative public URL', { PORTHOLE_PUBLIC_URL: 'porthole.example.com' }, 'PORTHOLE_PUBLIC_URL'],
    ['a public URL with a query', { PORTHOLE_PUBLIC_URL: 'https://x.example.com/?a=1' }, 'PORTHOLE_PUBLIC_URL'],
    ['a ftp public URL', { PORTHOLE_PUBLIC_URL: 'ftp://x.example.com' }, 'PORTHOLE_PUBLIC_URL'],
    ['a reversed port range', { PORTHOLE_LOCAL_PORTS: '30000-20000' }, 'PORTHOLE_LOCAL_PORTS'],
    ['a port range that is one port number', { PORTHOLE_LOCAL_PORTS: '20000' }, 'PORTHOLE_LOCAL_PORTS'],
    ['a short admin token', { PORTHOLE_ADMIN_TOKEN: 'secret' }, 'PORTHOLE_ADMIN_TOKEN'],
    ['an admin token with a space', { PORTHOLE_ADMIN_TOKEN: 'correct horse battery staple' }, 'PORTHOLE_ADMIN_TOKEN'],
    ['a fractional byte limit', { PORTHOLE_PROXY_MAX_BYTES: '1.5' }, 'PORTHOLE_PROXY_MAX_BYTES'],
    ['an idle timeout under a second', { PORTHOLE_TUNNEL_IDLE_TIMEOUT_MS: '10' }, 'PORTHOLE_TUNNEL_IDLE_TIMEOUT_MS'],
    ['a host that is neither an address nor a name', { PORTHOLE_HOST: 'http://0.0.0.0' }, 'PORTHOLE_HOST'],
    ['a local bind that is not an IP address', { PORTHOLE_LOCAL_BIND: 'nope' }, 'PORTHOLE_LOCAL_BIND'],
    ['a negative proxy idle timeout', { PORTHOLE_PROXY_IDLE_TIMEOUT_MS: '-5' }, 'PORTHOLE_PROXY_IDLE_TIMEOUT_MS'],
    ['a preview domain with a scheme', { PORTHOLE_PREVIEW_DOMAIN: 'https://preview.example.com' }, 'PORTHOLE_PREVIEW_DOMAIN'],
    ['a preview domain with a port', { PORTHOLE_PREVIEW_DOMAIN: 'preview.example.com:8080' }, 'PORTHOLE_PREVIEW_DOMAIN'],
    ['a preview domain with a path', { PORTHOLE_PREVIEW_DOMAIN: 'preview.example.com/x' }, 'PORTHOLE_PREVIEW_DOMAIN'],
    ['a wildcard preview domain', { PORTHOLE_PREVIEW_DOMAIN: '*.preview.example.com' }, 'PORTHOLE_PREVIEW_DOMAIN'],
    ['a session shorter than a minute', { PORTHOLE_SESSION_TTL_MS: '1000' }, 'PORTHOLE_SESSION_TTL_MS'],
    ['a namespace that is not a DNS label', { PORTHOLE_K8S_NAMESPACE: 'Sand_Boxes' }, 'PORTHOLE_K8S_NAMESPACE'],
    ['an unknown dial mode', { PORTHOLE_K8S_DIAL: 'tunnel' }, 'PORTHOLE_K8S_DIAL'],
    ['a short JWT secret', { PORTHOLE_JWT_SECRET: 'too-short' }, 'PORTHOLE_JWT_SECRET'],
    ['both a JWT secret and a JWKS', { PORTHOLE_JWT_SECRET: 'x'.repeat(32), PORTHOLE_JWKS_URL: 'https://id.example/jwks.json' }, 'PORTHOLE_JWKS_URL'],
    ['a JWKS URL that is not http(s)', { PORTHOLE_JWKS_URL: 'file:///etc/jwks.json' }, 'PORTHOLE_JWKS_URL'],
    ['an issuer without a way to verify', { PORTHOLE_JWT_ISSUER: 'https://id.example' }, 'PORTHOLE_JWT_ISSUER'],
    ['an unknown log level', { PORTHOLE_LOG_LEVEL: 'loud' }, 'PORTHOLE_LOG_LEVEL'],
  ])('refuses %s, naming %s', (_description, env, variable) => {
    let thrown: unknown;
    try {
      parseConfig(env);
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(ConfigError);
    expect((thrown as ConfigError).variable).toBe(variable);
    expect((thrown as ConfigError).message).toMatch(new RegExp(`^${variable}: `));
  });
});

describe('PORTHOLE_TOKENS_FILE', () => {
  const ADMIN_TOKEN = 'the-admin-token-0123456789';
  const files: Record<string, string> = {
    '/etc/porthole/tokens.json': JSON.stringify({ tokens: [{ user: 'alice', role: 'user', token: 'alice-token-0123456789' }] }),
    '/etc/porthole/broken.json': JSON.stringify({ tokens: [{ user: 'alice', role: 'root', token: 'alice-token-0123456789' }] }),
    '/etc/porthole/tokens.yaml': 'tokens:\n  - user: alice\n    role: user\n    plan: pro\n    token: alice-token-0123456789\n',
    '/etc/porthole/broken.yml': 'tokens:\n  - user: alice\n    role user\n',
    // A YAML file under a name without .yaml/.yml is read as JSON.
    '/etc/porthole/tokens': 'tokens:\n  - user: alice\n',
    '/etc/porthole/admin-token.json': JSON.stringify({
      tokens: [
        { user: 'alice', role: 'user', token: 'alice-token-0123456789' },
        { user: 'bob', role: 'user', token: ADMIN_TOKEN },
      ],
    }),
    '/etc/porthole/admin-digest.yaml': `tokens:\n  - user: ci\n    role: admin\n    sha256: ${tokenDigest(ADMIN_TOKEN).toString('hex')}\n`,
  };
  const readFile = (path: string): string => {
    const text = files[path];
    if (text === undefined) throw new Error(`ENOENT: no such file, open '${path}'`);
    return text;
  };

  it.each([
    ['JSON', '/etc/porthole/tokens.json', { id: 'alice', role: 'user' }],
    ['YAML, by the .yaml extension', '/etc/porthole/tokens.yaml', { id: 'alice', role: 'user', plan: 'pro' }],
  ])('reads the users of a %s file', (_name, file, principal) => {
    const config = parseConfig({ PORTHOLE_TOKENS_FILE: file }, readFile);
    expect(config.tokens.map((entry) => entry.principal)).toEqual([principal]);
  });

  it.each([
    ['a file that is not there', '/etc/porthole/missing.json', /^PORTHOLE_TOKENS_FILE: cannot read \/etc\/porthole\/missing.json: ENOENT/],
    ['a bad entry', '/etc/porthole/broken.json', /^PORTHOLE_TOKENS_FILE: \/etc\/porthole\/broken.json: tokens\[0\]\.role must be "admin" or "user"\.$/],
    ['a YAML syntax error', '/etc/porthole/broken.yml', /^PORTHOLE_TOKENS_FILE: \/etc\/porthole\/broken.yml: not valid YAML \(.* at line 3, column 5\)\.$/],
    ['YAML in a file not named .yaml or .yml', '/etc/porthole/tokens', /^PORTHOLE_TOKENS_FILE: \/etc\/porthole\/tokens: not valid JSON/],
  ])('refuses %s, naming the variable and the problem', (_name, file, message) => {
    expect(() => parseConfig({ PORTHOLE_TOKENS_FILE: file }, readFile)).toThrow(message);
  });

  it.each([
    ['the token itself', '/etc/porthole/admin-token.json', /^PORTHOLE_TOKENS_FILE: \/etc\/porthole\/admin-token.json: tokens\[1\] has the same token as PORTHOLE_ADMIN_TOKEN\.$/],
    ['only its SHA-256', '/etc/porthole/admin-digest.yaml', /^PORTHOLE_TOKENS_FILE: \/etc\/porthole\/admin-digest.yaml: tokens\[0\] has the same token as PORTHOLE_ADMIN_TOKEN\.$/],
  ])('refuses an entry with the admin token, given as %s', (_name, file, message) => {
    let thrown: unknown;
    try {
      parseConfig({ PORTHOLE_TOKENS_FILE: file, PORTHOLE_ADMIN_TOKEN: ADMIN_TOKEN }, readFile);
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(ConfigError);
    expect((thrown as ConfigError).variable).toBe('PORTHOLE_TOKENS_FILE');
    expect((thrown as ConfigError).message).toMatch(message);
  });

  it.each([
    ['another admin token', { PORTHOLE_ADMIN_TOKEN: 'another-admin-token-0123' }],
    ['no admin token (one is generated at start, at random)', {}],
  ])('takes the same file with %s', (_name, env) => {
    const config = parseConfig({ PORTHOLE_TOKENS_FILE: '/etc/porthole/admin-token.json', ...env }, readFile);
    expect(config.tokens.map((entry) => entry.principal.id)).toEqual(['alice', 'bob']);
  });
});
