/**
 * Porthole's browser session cookie: how it is written, found among the app's own cookies,
 * and taken out of the `Cookie` header before a request reaches the app.
 */
export const SESSION_COOKIE = 'porthole_session';

export interface SessionCookieScope {
  /** `/p/{id}/` in path mode, `/` in subdomain mode (where the cookie is host-only). */
  readonly path: string;
  /** The public URL is https: the cookie never travels over plain HTTP. */
  readonly secure: boolean;
  readonly maxAgeSeconds: number;
}

/**
 * HttpOnly (the app's scripts never see it), SameSite=Lax (sent on top-level navigations
 * from elsewhere, as a link must be, but not on cross-site subrequests), no Domain (never
 * shared with sibling hosts), Path scoped to the one forward.
 */
export function sessionCookie(value: string, scope: SessionCookieScope): string {
  const parts = [`${SESSION_COOKIE}=${value}`, `Path=${scope.path}`, `Max-Age=${scope.maxAgeSeconds}`, 'HttpOnly', 'SameSite=Lax'];
  if (scope.secure) parts.push('Secure');
  return parts.join('; ');
}

/** Splits a `Cookie` header into its `name=value` pairs, as sent (no decoding). */
function pairs(header: string): string[] {
  return header.split(';').map((pair) => pair.trim()).filter((pair) => pair !== '');
}

function nameOf(pair: string): string {
  const equals = pair.indexOf('=');
  return (equals < 0 ? pair : pair.slice(0, equals)).trim();
}

/** Every value of Porthole's cookie in the header (a browser may hold more than one). */
export function sessionCookieValues(header: string | undefined): string[] {
  if (header === undefined) return [];
  return pairs(header)
    .filter((pair) => nameOf(pair) === SESSION_COOKIE)
    .map((pair) => pair.slice(pair.indexOf('=') + 1).trim());
}

/**
 * The `Cookie` header without Porthole's cookie; undefined when nothing else is left.
 * The app's cookies pass exactly as sent, in order. A header without our cookie is
 * returned unchanged, spacing and all.
 */
export function withoutSessionCookie(header: string | undefined): string | undefined {
  if (header === undefined) return undefined;
  const all = pairs(header);
  if (!all.some((pair) => nameOf(pair) === SESSION_COOKIE)) return header;
  const kept = all.filter((pair) => nameOf(pair) !== SESSION_COOKIE);
  return kept.length === 0 ? undefined : kept.join('; ');
}
