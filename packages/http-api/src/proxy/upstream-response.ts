import {
  STATUS_CODES,
  validateHeaderName,
  validateHeaderValue,
  type IncomingMessage,
  type ServerResponse,
} from 'node:http';
import { connectionOptions } from './forwarded-headers';
import { rewriteLocation, scopeSetCookie, type RewriteContext } from './response-rewrite';

/**
 * Porthole answers its client itself (http-proxy's `selfHandleResponse`) rather than let
 * http-proxy copy the app's status line and headers onto our response: Node's HTTP client
 * accepts answers that its server refuses to send, and a refusal thrown inside
 * http-proxy's pipe took the whole process down (status 099, a control character in the
 * reason phrase, a `Trailer` on a Content-Length answer). Here every part is checked
 * before anything is written, and the head is written once.
 */

/** The status line and headers Porthole sends in place of the app's. */
export interface ResponseHead {
  readonly status: number;
  readonly reason: string;
  /** `[name, value, name, value, ...]` as `writeHead` takes it: case, order and repeats (Set-Cookie) kept. */
  readonly headers: string[];
}

export type HeadCheck =
  | { readonly ok: true; readonly head: ResponseHead }
  /** Why the answer cannot be relayed; for the log, never for the client. */
  | { readonly ok: false; readonly problem: string };

/** The parts of the app's answer that the check reads. */
export type UpstreamHead = Pick<IncomingMessage, 'statusCode' | 'statusMessage' | 'rawHeaders'>;

/**
 * Response fields that describe the app's connection to Porthole rather than Porthole's
 * to its client (RFC 9110 §7.6.1), or that are addressed to Porthole itself. Fields the
 * app names in `Connection` are dropped too.
 * - `Connection`, `Keep-Alive`, `Proxy-Connection`: Node decides whether our client's
 *   connection stays open, from that client's own request. An app's `Connection:
 *   keep-alive` would override a client's `Connection: close`, and an app's `Keep-Alive`
 *   turns Node's keep-alive off.
 * - `Transfer-Encoding`: Node's client has already taken the chunked framing off; Node's
 *   server frames the body again for what our client speaks (chunked, length, close).
 * - `TE`: a request field, meaningless in an answer.
 * - `Trailer`: trailers arrive after the body and are not relayed, so announcing them
 *   would be false; Node also refuses to send `Trailer` on an answer that is not chunked.
 * - `Upgrade`: offers a protocol switch (h2c, ...) on the app's connection; Porthole's
 *   connection makes none. A real switch (101) never reaches here.
 * - `Proxy-Authenticate`, `Proxy-Authentication-Info`: meant for the next client on the
 *   chain, which is Porthole (RFC 9110 §11.7.1); a client would take them as Porthole's.
 */
const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'transfer-encoding',
  'te',
  'trailer',
  'upgrade',
  'proxy-authenticate',
  'proxy-authentication-info',
]);

// What Node's writeHead accepts in a reason phrase (its checkInvalidHeaderChar). Node's
// parser is laxer: it reads NUL, most C0 controls and DEL there.
const INVALID_REASON_CHAR = /[^\t\x20-\x7e\x80-\xff]/;

function problem(text: string): HeadCheck {
  return { ok: false, problem: text };
}

/**
 * Decides what of the app's status line and headers our client gets, or that the answer
 * cannot be relayed at all (the caller answers 502 `bad_upstream_response`). With a
 * `rewrite` context, `Location` and `Set-Cookie` are fitted to where the forward lives
 * (response-rewrite.ts).
 */
export function checkResponseHead(upstream: UpstreamHead, rewrite?: RewriteContext): HeadCheck {
  const status = upstream.statusCode ?? 0;
  // Node's client consumes the interim answers (100, 102, 103) itself, so a 1xx here is a
  // 101 to a request that asked for no upgrade; below 100 Node's server refuses to send.
  if (!Number.isInteger(status) || status < 200 || status > 999) return problem(`status ${status}`);
  // A reason phrase means nothing to a client (RFC 9112 §4), so one Node will not send is
  // replaced by the standard phrase rather than failing a good answer.
  const given = upstream.statusMessage ?? '';
  const reason = INVALID_REASON_CHAR.test(given) ? (STATUS_CODES[status] ?? '') : given;

  const raw = upstream.rawHeaders;
  const named = new Set<string>();
  for (let i = 0; i < raw.length; i += 2) {
    if (raw[i]?.toLowerCase() === 'connection') for (const name of connectionOptions(raw[i + 1] ?? '')) named.add(name);
  }
  const headers: string[] = [];
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i] ?? '';
    const lower = name.toLowerCase();
    let value = raw[i + 1] ?? '';
    if (rewrite !== undefined) {
      if (lower === 'location') value = rewriteLocation(value, rewrite);
      else if (lower === 'set-cookie') value = scopeSetCookie(value, rewrite.prefix);
    }
    // Node decodes only `chunked`: a body under another transfer coding would reach the
    // client still coded, with nothing saying so. nginx refuses such answers too.
    if (lower === 'transfer-encoding' && connectionOptions(value).some((coding) => coding !== 'chunked')) {
      return problem(`Transfer-Encoding: ${value}`);
    }
    if (HOP_BY_HOP.has(lower) || named.has(lower)) continue;
    // The same checks writeHead makes. A bad header fails the whole answer: dropping it
    // could strip a security header (CSP, cookie flags) from an answer served as whole.
    try {
      validateHeaderName(name);
      validateHeaderValue(name, value);
    } catch {
      return problem(`header ${JSON.stringify(name)} cannot be sent on`);
    }
    headers.push(name, value);
  }
  return { ok: true, head: { status, reason, headers } };
}

/** Why an answer that was under way could not be relayed whole. */
export type RelayFailure =
  /** For the log, never for the client. */
  | { readonly kind: 'broken'; readonly problem: string }
  /** The body grew past `maxBytes`. */
  | { readonly kind: 'too_large'; readonly bytes: number };

export interface RelayOptions {
  /** The largest body relayed: past it, the answer fails with `too_large`. */
  readonly maxBytes: number;
  /** Called for every chunk the app sends (it resets the exchange's idle timer). */
  readonly progress: () => void;
  /** The caller answers (502), or cuts the connection once `res.headersSent`. */
  readonly fail: (failure: RelayFailure) => void;
}

/**
 * True when an answer declares a body over `max` by its Content-Length. Answers that carry
 * no body whatever their Content-Length says (to HEAD, 204, 304) are never too large.
 */
export function declaredResponseTooLarge(upstream: IncomingMessage, requestMethod: string | undefined, max: number): boolean {
  const status = upstream.statusCode ?? 0;
  if (requestMethod === 'HEAD' || status === 204 || status === 304) return false;
  const declared = Number(upstream.headers['content-length']);
  return Number.isFinite(declared) && declared > max;
}

/**
 * Streams the app's body to our client under `head`, with backpressure (pipe), counting it
 * against `maxBytes`. The head is written with the first chunk of the body, or at its end:
 * Node would not send it any sooner (headers leave with the first write), and until then
 * an answer that breaks can still become a clean 502 instead of a cut.
 */
export function relayResponse(upstream: IncomingMessage, res: ServerResponse, head: ResponseHead, options: RelayOptions): void {
  let started = false;
  let bytes = 0;
  const start = (): boolean => {
    started = true;
    try {
      res.writeHead(head.status, head.reason, head.headers);
      return true;
    } catch (error) {
      // Everything was checked above, so this is a rule we do not know of. writeHead may
      // have half-set `res` (status, whether it has a body): no error page on it, a cut.
      res.destroy();
      options.fail({ kind: 'broken', problem: `writeHead refused the head: ${String(error)}` });
      return false;
    }
  };
  // Registered before pipe() below, so it sees each chunk before the pipe writes it.
  const count = (chunk: Buffer): boolean => {
    bytes += chunk.length;
    options.progress();
    if (bytes <= options.maxBytes) return true;
    upstream.off('data', count);
    upstream.unpipe(res);
    options.fail({ kind: 'too_large', bytes });
    return false;
  };
  upstream.on('data', count);
  upstream.once('data', (first: Buffer) => {
    if (bytes > options.maxBytes || !start()) return;
    res.write(first);
    // pipe() sees `writableNeedDrain` and waits for 'drain' if that write filled the buffer.
    upstream.pipe(res);
  });
  upstream.once('end', () => {
    if (!started && start()) res.end();
  });
  upstream.once('close', () => {
    if (!upstream.complete && bytes <= options.maxBytes) {
      options.fail({ kind: 'broken', problem: 'the connection closed before the answer was complete' });
    }
  });
}
