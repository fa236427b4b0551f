/**
 * The browser credentials that may ride in a proxied URL's query: `porthole_token` (an
 * API token, exchanged once for a session cookie) and `porthole_link` (a one-time link
 * issued by the API). They are taken out of the raw request target without decoding or
 * re-encoding anything else, so the app sees every other parameter exactly as sent.
 */
export const TOKEN_PARAM = 'porthole_token';
export const LINK_PARAM = 'porthole_link';

export interface CredentialQuery {
  /** The request target without Porthole's parameters (`?` dropped when nothing is left). */
  readonly url: string;
  readonly token?: string;
  readonly link?: string;
}

function decode(value: string): string {
  try {
    return decodeURIComponent(value.replace(/\+/g, ' '));
  } catch {
    return value;
  }
}

export function takeCredentialQuery(rawUrl: string): CredentialQuery {
  const hash = rawUrl.indexOf('#');
  const withoutFragment = hash < 0 ? rawUrl : rawUrl.slice(0, hash);
  const question = withoutFragment.indexOf('?');
  if (question < 0) return { url: rawUrl };
  const path = withoutFragment.slice(0, question);
  const params = withoutFragment.slice(question + 1).split('&');
  let token: string | undefined;
  let link: string | undefined;
  const kept: string[] = [];
  for (const param of params) {
    const equals = param.indexOf('=');
    const name = decode(equals < 0 ? param : param.slice(0, equals));
    const value = equals < 0 ? '' : decode(param.slice(equals + 1));
    if (name === TOKEN_PARAM) token = value;
    else if (name === LINK_PARAM) link = value;
    else kept.push(param);
  }
  if (token === undefined && link === undefined) return { url: rawUrl };
  const query = kept.join('&');
  return {
    url: query === '' ? path : `${path}?${query}`,
    ...(token !== undefined ? { token } : {}),
    ...(link !== undefined ? { link } : {}),
  };
}
