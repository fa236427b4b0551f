import type { IncomingMessage } from 'node:http';
import { DomainErrors, type DomainError } from '@porthole/core';

const ABSOLUTE_FORM = /^[a-z][a-z0-9+.-]*:\/\//i;

/**
 * Settles which host a request is for before anything routes on it (the preview host,
 * a custom domain, Porthole's own routes), as RFC 9112 (3.2) says:
 * - more than one `Host` header is refused: Node keeps only the first, and a proxy in
 *   front may have routed by another;
 * - a request line in absolute form (`GET http://app.example.com/x HTTP/1.1`) is for the
 *   host it names, whatever `Host` says: that host replaces `Host`, and the target
 *   becomes the path (what an app behind the proxy expects to see).
 * Returns the refusal, or undefined once the request is in origin form. Idempotent.
 */
export function settleRequestTarget(req: IncomingMessage): DomainError | undefined {
  let hosts = 0;
  for (let i = 0; i < req.rawHeaders.length; i += 2) if (req.rawHeaders[i]?.toLowerCase() === 'host') hosts += 1;
  if (hosts > 1) return DomainErrors.invalidRequest('A request must carry one Host header; this one carries several.');
  const url = req.url ?? '/';
  if (!ABSOLUTE_FORM.test(url)) return undefined;
  let target: URL;
  try {
    target = new URL(url);
  } catch {
    return DomainErrors.invalidRequest('The request target is not a valid absolute URL.');
  }
  if (target.host === '') return DomainErrors.invalidRequest('The request target names no host.');
  req.headers.host = target.host;
  req.url = `${target.pathname}${target.search}`;
  return undefined;
}
