/**
 * What the proxy changes in an app's answer so that it keeps working under `/p/{id}/`
 * (path mode) or on its own host (subdomain mode): redirects that would leave the forward,
 * and cookies scoped to the whole site. Bodies are never rewritten.
 */
export interface RewriteContext {
  /** `/p/{id}` in path mode; '' in subdomain mode, where the app lives at the root. */
  readonly prefix: string;
  /**
   * `host[:port]` authorities, lower-case, that name the app itself: the address Porthole
   * dialed, `localhost` and loopback at the container port, and (path mode) the Host the
   * client sent, which reaches the app untouched and which apps build absolute URLs from.
   */
  readonly appAuthorities: ReadonlySet<string>;
}

/** The authorities that mean "the app itself" for a forward answered from `dialed`. */
export function appAuthoritiesOf(containerPort: number, dialed: { address?: string; port?: number }, clientHost?: string): Set<string> {
  const hosts = ['localhost', '127.0.0.1', '[::1]', '0.0.0.0'];
  if (dialed.address !== undefined) hosts.push(dialed.address.includes(':') ? `[${dialed.address}]` : dialed.address);
  const authorities = new Set<string>();
  for (const host of hosts) {
    authorities.add(`${host}:${dialed.port ?? containerPort}`);
    authorities.add(`${host}:${containerPort}`);
    if (containerPort === 80) authorities.add(host);
  }
  if (clientHost !== undefined) authorities.add(clientHost.toLowerCase());
  return authorities;
}

const ABSOLUTE = /^(?:(https?):)?\/\/([^/?#]*)([\s\S]*)$/i;
const OTHER_SCHEME = /^[a-z][a-z0-9+.-]*:/i;

function underPrefix(path: string, prefix: string): boolean {
  return path === prefix || path.startsWith(`${prefix}/`) || path.startsWith(`${prefix}?`) || path.startsWith(`${prefix}#`);
}

/**
 * A root-relative path that stays on this host. `//evil.example/x` and `/\\evil.example`
 * are read by browsers as addresses of another host: their leading slashes collapse to
 * one. (Behind a prefix they cannot start a path anyway.)
 */
export function onThisHost(path: string): string {
  return /^\/[/\\]/.test(path) ? `/${path.replace(/^[/\\]+/, '')}` : path;
}

function intoPrefix(rootAbsolute: string, prefix: string): string {
  if (prefix === '') return onThisHost(rootAbsolute);
  if (underPrefix(rootAbsolute, prefix)) return rootAbsolute;
  return prefix + rootAbsolute;
}

/** `http://host:80/x` and `http://host/x` are the same place. */
function withoutDefaultPort(authority: string, scheme: string | undefined): string {
  const lower = authority.toLowerCase();
  if (scheme?.toLowerCase() === 'http' && lower.endsWith(':80')) return lower.slice(0, -3);
  if (scheme?.toLowerCase() === 'https' && lower.endsWith(':443')) return lower.slice(0, -4);
  return lower;
}

/**
 * - root-absolute (`/login`): into the prefix, unless it already carries it;
 * - absolute (or protocol-relative) to the app itself: the same path on the forward;
 * - relative, another site, another scheme: unchanged.
 */
export function rewriteLocation(location: string, context: RewriteContext): string {
  const absolute = ABSOLUTE.exec(location);
  if (absolute !== null) {
    const [, scheme, authority = '', rest = ''] = absolute;
    const own = context.appAuthorities.has(authority.toLowerCase()) || context.appAuthorities.has(withoutDefaultPort(authority, scheme));
    if (!own) return location;
    const path = rest.startsWith('/') ? rest : `/${rest}`;
    // Already on the forward (a prefix-aware app on Porthole's host): a good link as is.
    if (context.prefix !== '' && underPrefix(path, context.prefix)) return location;
    return intoPrefix(path, context.prefix);
  }
  // A root-absolute Location from the app itself is left as the app wrote it in subdomain
  // mode (`//x` from the app is the app's own choice); only rewritten ones are made safe.
  if (location.startsWith('/')) return context.prefix === '' ? location : intoPrefix(location, context.prefix);
  if (OTHER_SCHEME.test(location)) return location;
  return location;
}

/**
 * A cookie the app scopes to a root-absolute path (`Path=/`, `Path=/app`) is scoped to
 * the same path inside the prefix, so it neither leaks to other forwards nor misses its
 * own pages. Everything else in the header is kept byte for byte.
 */
export function scopeSetCookie(header: string, prefix: string): string {
  // `__Host-` cookies must say `Path=/` or browsers drop them: they stay site-wide.
  if (prefix === '' || header.trimStart().startsWith('__Host-')) return header;
  const parts = header.split(';');
  for (let i = 1; i < parts.length; i += 1) {
    const part = parts[i] ?? '';
    const equals = part.indexOf('=');
    if (equals < 0 || part.slice(0, equals).trim().toLowerCase() !== 'path') continue;
    const value = part.slice(equals + 1).trim();
    if (!value.startsWith('/') || underPrefix(value, prefix)) continue;
    const leading = /^\s*/.exec(part)?.[0] ?? '';
    parts[i] = `${leading}${part.slice(leading.length, equals).trim()}=${prefix}${value}`;
  }
  return parts.join(';');
}
