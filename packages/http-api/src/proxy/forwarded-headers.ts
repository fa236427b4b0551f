import { bearerFromHeader } from '../auth/credentials';
import { withoutSessionCookie } from '../browser/session-cookie';
import type { IncomingHttpHeaders, IncomingMessage } from 'node:http';
import type { TLSSocket } from 'node:tls';

export interface ClientConnection {
  /** The address the client connected from; undefined once its socket is gone. */
  readonly remoteAddress: string | undefined;
  /**
   * True when the client spoke TLS to Porthole itself, or when Porthole's public URL is
   * https: then a TLS-terminating proxy in front spoke it, and the browser's page is https
   * (apps set Secure cookies and build links by X-Forwarded-Proto).
   */
  readonly encrypted: boolean;
  /** `/p/{forwardId}`: what Porthole stripped from the path; '' on a preview host. */
  readonly prefix: string;
}

export function clientConnectionOf(req: IncomingMessage, prefix: string, publicScheme = 'http:'): ClientConnection {
  return {
    remoteAddress: req.socket.remoteAddress,
    encrypted: (req.socket as Partial<TLSSocket>).encrypted === true || publicScheme === 'https:',
    prefix,
  };
}

/** The field names a `Connection` header lists, lower-cased (RFC 9110 §7.6.1). */
export function connectionOptions(value: string): string[] {
  return value
    .split(',')
    .map((token) => token.trim().toLowerCase())
    .filter((name) => name !== '');
}

// Never dropped even when a client names them in `Connection`.
const END_TO_END = new Set(['host', 'content-length', 'transfer-encoding']);

/**
 * Removes the hop-by-hop headers of a plain request (RFC 9110 §7.6.1): `Connection`, the
 * fields it names, `Keep-Alive`, `Proxy-Connection`. They describe the client's connection
 * to Porthole, not Porthole's to the app; a client's `Connection: close` passed on would
 * make the app close every pooled upstream connection after one request. Not for
 * upgrades, which need `Connection: Upgrade` to reach the app.
 */
export function stripHopByHopHeaders(headers: IncomingHttpHeaders): void {
  const connection = headers.connection;
  if (connection !== undefined) {
    for (const name of connectionOptions(connection)) {
      if (!END_TO_END.has(name)) delete headers[name];
    }
  }
  delete headers.connection;
  delete headers['keep-alive'];
  delete headers['proxy-connection'];
  // TE is hop-by-hop: it speaks of our connection to the client, not to the app.
  delete headers.te;
}

/**
 * Turns the client's headers into the headers the app receives, in place (the request
 * to the app sends `req.headers`). Everything the client sent passes untouched, Host
 * included, except Porthole's own credentials (bearer header, session cookie); the `X-Forwarded-*` set is the same for plain
 * requests and WebSocket upgrades. We do not use http-proxy's `xfwd`: on the WebSocket
 * path it sends `X-Forwarded-Proto: ws` and no `X-Forwarded-Host`.
 */
export function prepareUpstreamHeaders(
  headers: IncomingHttpHeaders,
  client: ClientConnection,
  options: { keepAuthorization?: boolean } = {},
): void {
  // Porthole's bearer token must never reach the container. Deleted here rather than in
  // a `proxyReq` hook, because that hook does not run for WebSockets. A request that a
  // session cookie authenticated carries no Porthole token there: its Authorization
  // header, if any, is the app's own.
  const token = bearerFromHeader({ headers } as IncomingMessage);
  if (options.keepAuthorization !== true) delete headers.authorization;
  // A credential meant for a proxy (possibly this one), never for the app.
  delete headers['proxy-authorization'];
  // Porthole's session cookie; the app's own cookies pass as sent (Node has joined
  // repeated Cookie headers into one).
  const cookie = withoutSessionCookie(headers.cookie);
  if (cookie === undefined) delete headers.cookie;
  else headers.cookie = cookie;
  removeBearerSubprotocol(headers, token === undefined ? [] : [token]);
  const address = client.remoteAddress ?? 'unknown';
  const given = headers['x-forwarded-for'];
  const chain = Array.isArray(given) ? given.join(', ') : given;
  headers['x-forwarded-for'] = chain === undefined || chain.trim() === '' ? address : `${chain}, ${address}`;
  headers['x-forwarded-proto'] = client.encrypted ? 'https' : 'http';
  if (headers.host === undefined) delete headers['x-forwarded-host'];
  else headers['x-forwarded-host'] = headers.host;
  // Subdomain mode serves the app at the root: no prefix to tell it about.
  if (client.prefix === '') delete headers['x-forwarded-prefix'];
  else headers['x-forwarded-prefix'] = client.prefix;
}

/**
 * Removes the tunnel's credential idiom, the subprotocols `Bearer, <token>`, from
 * `Sec-WebSocket-Protocol`: a client that uses one token for both sends it here too. The
 * proxy authenticates by the Authorization header only, and whatever token this is, it
 * is Porthole's and must not reach the app. Every `Bearer` (any case) goes, and so does
 * the first other entry after a run of them, and any entry equal to a known credential
 * (`<token>, Bearer` in the wrong order); the app negotiates among the rest, and the
 * header goes if nothing is left.
 */
export function removeBearerSubprotocol(headers: IncomingHttpHeaders, credentials: readonly string[] = []): void {
  const offered = headers['sec-websocket-protocol'];
  if (offered === undefined) return;
  const protocols = offered.split(',').map((protocol) => protocol.trim());
  const isBearer = (protocol: string) => protocol.toLowerCase() === 'bearer';
  if (!protocols.some((p) => isBearer(p) || credentials.includes(p))) return;
  const kept: string[] = [];
  let dropNext = false;
  for (const protocol of protocols) {
    if (isBearer(protocol)) {
      dropNext = true;
    } else if (dropNext || credentials.includes(protocol)) {
      dropNext = false;
    } else if (protocol !== '') {
      kept.push(protocol);
    }
  }
  if (kept.length === 0) delete headers['sec-websocket-protocol'];
  else headers['sec-websocket-protocol'] = kept.join(', ');
}
