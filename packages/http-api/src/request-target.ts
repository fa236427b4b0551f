import type { IncomingMessage } from 'node:http';
import { DomainErrors, type DomainError } from '@porthole/core';

const ABSOLUTE_FORM = /^[a-z][a-z0-9+.-]*:\/\//i;
const WEB_SCHEMES = new Set(['http:', 'https:', 'ws:', 'wss:']);

/**
 * Settles which host a request is for before anything routes on it (the preview host,
 * a custom domain, Porthole's own routes), as RFC 9112 (3.2) says:
 * - more than one `Host` header is refused: Node keeps only the first, and a proxy in
 *   front may have routed by another; so is none in HTTP/1.1 (the server is made with
 *   `requireHostHeader: false`, so that this is answered in the JSON shape);
 * - a request line in absolute form (`GET http://app.example.com/x HTTP/1.1`) is for the
 *   host it names, whatever `Host` says: that host replaces `Host`, and the target
 *   becomes the path (what an app behind the proxy expects to see).
 * Returns the refusal, or undefined once the request is in origin form. Idempotent.
 */
export function settleRequestTarget(req: IncomingMessage): DomainError | undefined {
  let hosts = 0;
  for (let i = 0; i < req.rawHeaders.length; i += 2) if (req.rawHeaders[i]?.toLowerCase() === 'host') hosts += 1;
  if (hosts > 1) return DomainErrors.invalidRequest('A request must carry one Host header; this one carries several.');
  // HTTP/1.0 may go without (and gets Porthole's own routes); HTTP/1.1 must not.
  if (hosts === 0 && req.httpVersion !== '1.0') return DomainErrors.invalidRequest('An HTTP/1.1 request must carry a Host header.');
  const url = req.url ?? '/';
  if (!ABSOLUTE_FORM.test(url)) return undefined;
  let target: URL;
  try {
    target = new URL(url);
  } catch {
    return DomainErrors.invalidRequest('The request target is not a valid absolute URL.');
  }
  if (!WEB_SCHEMES.has(target.protocol)) return DomainErrors.invalidRequest(`The request target must be an http or https URL, not ${target.protocol}.`);
  if (target.host === '') return DomainErrors.invalidRequest('The request target names no host.');
  req.headers.host = target.host;
  req.url = `${target.pathname}${target.search}`;
  return undefined;
}
