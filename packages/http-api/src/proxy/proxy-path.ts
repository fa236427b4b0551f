/**
 * Where a `/p/:forwardId/...` request goes. Works on the RAW request target: nothing is
 * decoded, normalised or merged, so `%2F`, `;params`, `//` and the query reach the app
 * exactly as the client sent them.
 */
export type ProxyTarget =
  /** Proxy to the forward; `upstreamUrl` is the path and query the app sees. */
  | {
      readonly kind: 'forward';
      readonly forwardId: string;
      readonly prefix: string;
      readonly upstreamUrl: string;
      /** How the caller named the forward when not by its id (a custom domain): errors say that. */
      readonly shownAs?: string;
    }
  /**
   * `/p/{id}` or `/p/{id}?q`: relative links of the app would resolve against `/p/`, so
   * browsers are sent to `/p/{id}/` (308 keeps the method and body). An upgrade cannot be
   * redirected (browsers do not follow redirects for WebSockets): it uses `upstreamUrl`.
   */
  | {
      readonly kind: 'redirect';
      readonly forwardId: string;
      readonly prefix: string;
      readonly location: string;
      readonly upstreamUrl: string;
    }
  | { readonly kind: 'no_match' };

const PROXY_URL = /^\/p\/([^/?#]*)([\s\S]*)$/;

export function parseProxyUrl(rawUrl: string): ProxyTarget {
  const match = PROXY_URL.exec(rawUrl);
  if (match === null) return { kind: 'no_match' };
  const forwardId = match[1] ?? '';
  const rest = match[2] ?? '';
  const prefix = `/p/${forwardId}`;
  if (rest.startsWith('/')) return { kind: 'forward', forwardId, prefix, upstreamUrl: rest };
  // An empty id (`/p/`, `/p/?x`) is no forward at all: let the lookup answer 404 rather
  // than redirect to `/p//`.
  if (forwardId === '') return { kind: 'forward', forwardId, prefix, upstreamUrl: `/${rest}` };
  return { kind: 'redirect', forwardId, prefix, location: `${prefix}/${rest}`, upstreamUrl: `/${rest}` };
}

/**
 * The target of a request that arrived under a base path (Porthole mounted at `/porthole`
 * by a platform): the prefix the browser sees, and so the session cookie's path, the
 * redirects and the app's `X-Forwarded-Prefix`, carry the base path too.
 */
export function underBasePath<T extends ProxyTarget>(target: T, basePath: string): T {
  if (basePath === '' || target.kind === 'no_match') return target;
  const prefix = `${basePath}${target.prefix}`;
  return target.kind === 'redirect' ? { ...target, prefix, location: `${basePath}${target.location}` } : { ...target, prefix };
}
