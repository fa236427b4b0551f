import type { IncomingHttpHeaders } from 'node:http';

/**
 * Whether a request that only Porthole's session cookie authenticates comes from a page
 * of the origin it addresses. A cookie rides along whatever page sends the request;
 * these checks keep pages of other origins from using it (CSRF, and cross-site WebSocket
 * hijacking). Sibling forwards in subdomain mode are other origins but the same *site*,
 * so SameSite=Lax alone would not stop them.
 *
 * `Sec-Fetch-Site` says it outright where browsers send it (`none`: typed or bookmarked).
 * Otherwise `Origin` must name the scheme of the public URL and the host the request was
 * sent to. A request with neither did not come from a browser page.
 */
export function fromOwnOrigin(headers: IncomingHttpHeaders, publicScheme: string): boolean {
  const site = headers['sec-fetch-site'];
  if (typeof site === 'string' && site !== '') return site === 'same-origin' || site === 'none';
  const origin = headers.origin;
  if (origin === undefined) return true;
  const host = headers.host?.toLowerCase();
  try {
    const url = new URL(origin);
    return host !== undefined && url.protocol === publicScheme && url.host === host;
  } catch {
    return false; // `null` (sandboxed frames, file:, some redirects) and anything unparsable
  }
}

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/** Methods that by HTTP's rules change nothing need no origin check (RFC 9110 §9.2.1). */
export function isSafeMethod(method: string | undefined): boolean {
  return SAFE_METHODS.has(method ?? 'GET');
}
