import { readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { PLANS, isPlan, type PlanOverrides } from '@porthole/core';
import { parseTokensFile, tokenDigest, tokensFileFormat, TokensFileError, type JwtOptions, type TokenEntry } from '@porthole/http-api';

/**
 * Configuration from the environment (DESIGN.md §5). Every value is checked here, once:
 * a bad one stops start-up with a ConfigError naming the variable.
 */
export type RuntimeChoice = 'auto' | 'docker' | 'kubernetes';
export type LogLevel = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';

export interface PortholeConfig {
  readonly host: string;
  readonly port: number;
  /** Undefined when not configured: then it is the address Porthole listens on. */
  readonly publicUrl: string | undefined;
  readonly runtime: RuntimeChoice;
  readonly dockerHost: string | undefined;
  /** PORTHOLE_K8S_NAMESPACE; undefined: the service account's, else the kubeconfig context's. */
  readonly k8sNamespace: string | undefined;
  /** PORTHOLE_K8S_DIAL; auto: direct inside the cluster, apiserver from outside. */
  readonly k8sDial: 'auto' | 'direct' | 'apiserver';
  readonly adminToken: string | undefined;
  /** PORTHOLE_TOKENS_FILE's entries (users and admins besides the admin token); [] when unset. */
  readonly tokens: readonly TokenEntry[];
  /** JWTs as credentials (PORTHOLE_JWT_SECRET or PORTHOLE_JWKS_URL); undefined when neither is set. */
  readonly jwt: JwtOptions | undefined;
  readonly localPorts: { readonly first: number; readonly last: number };
  readonly localBind: string;
  readonly maxForwardsPerContainer: number;
  /** PORTHOLE_PLAN_MAX_FORWARDS: caps of their own for some plans; the others have maxForwardsPerContainer. */
  readonly planLimits: PlanOverrides;
  readonly proxyMaxBytes: number;
  readonly proxyIdleTimeoutMs: number;
  readonly tunnelBytesPerSecond: number;
  readonly tunnelIdleTimeoutMs: number;
  /** Subdomain mode's domain (`<forward>.<domain>`); undefined for path mode only. */
  readonly previewDomain: string | undefined;
  /**
   * PORTHOLE_RESERVED_DOMAINS: more names Porthole itself is reached by (aliases of the
   * public host), which no forward may take as its custom domain.
   */
  readonly reservedDomains: readonly string[];
  readonly sessionTtlMs: number;
  readonly linkTtlMs: number;
  readonly logLevel: LogLevel;
  /**
   * PORTHOLE_DATA_DIR: where the forwards' SQLite database lives (`porthole.db`), so that
   * forwards survive a restart; `:memory:` keeps them in process memory only.
   */
  readonly dataDir: string;
}

export class ConfigError extends Error {
  override readonly name = 'ConfigError';

  constructor(
    readonly variable: string,
    message: string,
  ) {
    super(`${variable}: ${message}`);
  }
}

type Env = Readonly<Record<string, string | undefined>>;

function read(env: Env, name: string): string | undefined {
  const value = env[name]?.trim();
  return value === undefined || value === '' ? undefined : value;
}

function integer(env: Env, name: string, fallback: number, min: number, max: number): number {
  const raw = read(env, name);
  if (raw === undefined) return fallback;
  if (!/^\d+$/.test(raw)) throw new ConfigError(name, `must be a whole number, got "${raw}".`);
  const value = Number(raw);
  if (value < min || value > max) throw new ConfigError(name, `must be between ${min} and ${max}, got ${value}.`);
  return value;
}

function oneOf<T extends string>(env: Env, name: string, allowed: readonly T[], fallback: T): T {
  const raw = read(env, name);
  if (raw === undefined) return fallback;
  if (!(allowed as readonly string[]).includes(raw)) {
    throw new ConfigError(name, `must be one of ${allowed.join(', ')}; got "${raw}".`);
  }
  return raw as T;
}

function portRange(env: Env, name: string): { first: number; last: number } {
  const raw = read(env, name) ?? '20000-29999';
  const match = /^(\d{1,5})-(\d{1,5})$/.exec(raw);
  const first = Number(match?.[1]);
  const last = Number(match?.[2]);
  if (match === null || first < 1 || last > 65535 || first > last) {
    throw new ConfigError(name, `must be a port range like 20000-29999 (1..65535, low-high); got "${raw}".`);
  }
  return { first, last };
}

function publicUrl(env: Env, name: string): string | undefined {
  const raw = read(env, name);
  if (raw === undefined) return undefined;
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new ConfigError(name, `must be an absolute http(s) URL such as https://porthole.example.com; got "${raw}".`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new ConfigError(name, `must start with http:// or https://; got "${raw}".`);
  }
  if (url.search !== '' || url.hash !== '' || url.username !== '' || url.password !== '') {
    throw new ConfigError(name, `must not carry credentials, a query or a fragment; got "${raw}".`);
  }
  return url.toString().replace(/\/$/, '');
}

function listenAddress(env: Env, name: string, fallback: string, allowHostname: boolean): string {
  const raw = read(env, name) ?? fallback;
  if (isIP(raw) !== 0) return raw;
  if (allowHostname && /^(?=.{1,253}$)[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$/.test(raw)) {
    return raw;
  }
  throw new ConfigError(
    name,
    `must be an IP address${allowHostname ? ' or a host name' : ''} to listen on, such as 127.0.0.1 or 0.0.0.0; got "${raw}".`,
  );
}

function adminToken(env: Env, name: string): string | undefined {
  const raw = read(env, name);
  if (raw === undefined) return undefined;
  // The token travels in a WebSocket subprotocol too, which only allows RFC 7230 tokens.
  if (!/^[A-Za-z0-9._~+-]{16,256}$/.test(raw)) {
    throw new ConfigError(name, 'must be 16 to 256 characters of letters, digits and . _ ~ + - only.');
  }
  return raw;
}

function k8sNamespace(env: Env, name: string): string | undefined {
  const raw = read(env, name);
  if (raw === undefined) return undefined;
  // A Kubernetes namespace is a DNS label.
  if (!/^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/.test(raw)) {
    throw new ConfigError(name, `must be a Kubernetes namespace name (lowercase letters, digits and -, at most 63); got "${raw}".`);
  }
  return raw;
}

/** `free=3,pro=20`: a cap per container for the plans named. */
function planLimits(env: Env, name: string): PlanOverrides {
  const raw = read(env, name);
  if (raw === undefined) return {};
  const limits: Record<string, { maxForwardsPerContainer: number }> = {};
  for (const part of raw.split(',').map((p) => p.trim())) {
    const match = /^([a-z]+)=(\d{1,4})$/.exec(part);
    const plan = match?.[1];
    const max = Number(match?.[2]);
    if (match === null || !isPlan(plan) || max < 1 || max > 1000 || plan in limits) {
      throw new ConfigError(
        name,
        `must be plan=cap pairs such as "free=3,pro=20" (plans: ${PLANS.join(', ')}, each once; caps 1 to 1000); got "${raw}".`,
      );
    }
    limits[plan] = { maxForwardsPerContainer: max };
  }
  return limits;
}

const DNS_NAME = /^(?=.{1,200}$)(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)*[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/;

function dnsName(raw: string, name: string): string {
  const domain = raw.toLowerCase().replace(/\.$/, '');
  if (!DNS_NAME.test(domain)) {
    throw new ConfigError(name, `must be a DNS name such as preview.example.com (no scheme, port or path); got "${raw}".`);
  }
  return domain;
}

function previewDomain(env: Env, name: string): string | undefined {
  const raw = read(env, name);
  // A DNS name; forwards get a label of their own under it. `localhost` works with no DNS
  // at all: browsers resolve every `*.localhost` to loopback.
  return raw === undefined ? undefined : dnsName(raw, name);
}

/** Comma-separated DNS names. */
function dnsNames(env: Env, name: string): string[] {
  const raw = read(env, name);
  if (raw === undefined) return [];
  return raw
    .split(',')
    .map((part) => part.trim())
    .filter((part) => part !== '')
    .map((part) => dnsName(part, name));
}

/**
 * PORTHOLE_TOKENS_FILE's entries. None may have the admin token's token: the admin token
 * would then act as that entry's user (whichever of the two the authenticator matched).
 * Only a configured admin token is checked; one generated at start is random.
 */
function tokensFile(env: Env, name: string, readFile: (path: string) => string, adminToken: string | undefined): TokenEntry[] {
  const file = read(env, name);
  if (file === undefined) return [];
  let text: string;
  try {
    text = readFile(file);
  } catch (error) {
    throw new ConfigError(name, `cannot read ${file}: ${(error as Error).message}`);
  }
  let entries: TokenEntry[];
  try {
    entries = parseTokensFile(text, tokenDigest, tokensFileFormat(file));
  } catch (error) {
    if (error instanceof TokensFileError) throw new ConfigError(name, `${file}: ${error.message}.`);
    throw error;
  }
  // As digests: an entry may give only its token's SHA-256.
  const adminDigest = adminToken === undefined ? undefined : tokenDigest(adminToken);
  const index = adminDigest === undefined ? -1 : entries.findIndex((entry) => entry.digest.equals(adminDigest));
  if (index >= 0) throw new ConfigError(name, `${file}: tokens[${index}] has the same token as PORTHOLE_ADMIN_TOKEN.`);
  return entries;
}

function jwtOptions(env: Env): JwtOptions | undefined {
  const secret = read(env, 'PORTHOLE_JWT_SECRET');
  const jwksUrl = read(env, 'PORTHOLE_JWKS_URL');
  const issuer = read(env, 'PORTHOLE_JWT_ISSUER');
  const audience = read(env, 'PORTHOLE_JWT_AUDIENCE');
  if (secret !== undefined && jwksUrl !== undefined) {
    throw new ConfigError('PORTHOLE_JWKS_URL', 'set either PORTHOLE_JWT_SECRET (HS256) or PORTHOLE_JWKS_URL (RS256/ES256), not both.');
  }
  const checks = { ...(issuer !== undefined ? { issuer } : {}), ...(audience !== undefined ? { audience } : {}) };
  if (secret !== undefined) {
    // RFC 7518 §3.2: an HS256 key of at least 256 bits.
    if (Buffer.byteLength(secret) < 32) throw new ConfigError('PORTHOLE_JWT_SECRET', 'must be at least 32 bytes (HS256 needs a 256-bit key).');
    return { secret, ...checks };
  }
  if (jwksUrl !== undefined) {
    let url: URL;
    try {
      url = new URL(jwksUrl);
    } catch {
      throw new ConfigError('PORTHOLE_JWKS_URL', `must be an http(s) URL of a JWKS; got "${jwksUrl}".`);
    }
    if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new ConfigError('PORTHOLE_JWKS_URL', `must be an http(s) URL; got "${jwksUrl}".`);
    return { jwksUrl, ...checks };
  }
  if (issuer !== undefined || audience !== undefined) {
    throw new ConfigError(issuer !== undefined ? 'PORTHOLE_JWT_ISSUER' : 'PORTHOLE_JWT_AUDIENCE', 'needs PORTHOLE_JWT_SECRET or PORTHOLE_JWKS_URL.');
  }
  return undefined;
}

export function parseConfig(env: Env, readFile: (path: string) => string = (path) => readFileSync(path, 'utf8')): PortholeConfig {
  const host = listenAddress(env, 'PORTHOLE_HOST', '127.0.0.1', true);
  const port = integer(env, 'PORTHOLE_PORT', 8080, 0, 65535);
  const configuredAdminToken = adminToken(env, 'PORTHOLE_ADMIN_TOKEN');
  return {
    host,
    port,
    publicUrl: publicUrl(env, 'PORTHOLE_PUBLIC_URL'),
    runtime: oneOf(env, 'PORTHOLE_RUNTIME', ['auto', 'docker', 'kubernetes'] as const, 'auto'),
    dockerHost: read(env, 'DOCKER_HOST'),
    k8sNamespace: k8sNamespace(env, 'PORTHOLE_K8S_NAMESPACE'),
    k8sDial: oneOf(env, 'PORTHOLE_K8S_DIAL', ['auto', 'direct', 'apiserver'] as const, 'auto'),
    adminToken: configuredAdminToken,
    tokens: tokensFile(env, 'PORTHOLE_TOKENS_FILE', readFile, configuredAdminToken),
    jwt: jwtOptions(env),
    localPorts: portRange(env, 'PORTHOLE_LOCAL_PORTS'),
    localBind: listenAddress(env, 'PORTHOLE_LOCAL_BIND', '127.0.0.1', false),
    maxForwardsPerContainer: integer(env, 'PORTHOLE_MAX_FORWARDS_PER_CONTAINER', 10, 1, 1000),
    planLimits: planLimits(env, 'PORTHOLE_PLAN_MAX_FORWARDS'),
    proxyMaxBytes: integer(env, 'PORTHOLE_PROXY_MAX_BYTES', 100 * 1024 * 1024, 1, Number.MAX_SAFE_INTEGER),
    proxyIdleTimeoutMs: integer(env, 'PORTHOLE_PROXY_IDLE_TIMEOUT_MS', 5 * 60 * 1000, 0, 24 * 60 * 60 * 1000),
    tunnelBytesPerSecond: integer(env, 'PORTHOLE_TUNNEL_BYTES_PER_SECOND', 10 * 1024 * 1024, 0, Number.MAX_SAFE_INTEGER),
    tunnelIdleTimeoutMs: integer(env, 'PORTHOLE_TUNNEL_IDLE_TIMEOUT_MS', 5 * 60 * 1000, 1000, 24 * 60 * 60 * 1000),
    previewDomain: previewDomain(env, 'PORTHOLE_PREVIEW_DOMAIN'),
    reservedDomains: dnsNames(env, 'PORTHOLE_RESERVED_DOMAINS'),
    sessionTtlMs: integer(env, 'PORTHOLE_SESSION_TTL_MS', 24 * 60 * 60 * 1000, 60 * 1000, 365 * 24 * 60 * 60 * 1000),
    linkTtlMs: integer(env, 'PORTHOLE_LINK_TTL_MS', 5 * 60 * 1000, 1000, 24 * 60 * 60 * 1000),
    logLevel: oneOf(env, 'PORTHOLE_LOG_LEVEL', ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const, 'info'),
    dataDir: read(env, 'PORTHOLE_DATA_DIR') ?? './data',
  };
}
