import type { IncomingMessage, ServerResponse } from 'node:http';

/**
 * True when the request declares a body larger than `max`. Such a request is refused from
 * its headers alone, before a byte of the body is read. Bodies without a declared length
 * (chunked) are not counted yet; a counting Transform handed to http-proxy as its
 * `buffer` option is where a byte counter would go.
 */
export function declaredBodyTooLarge(req: IncomingMessage, max: number): boolean {
  const declared = req.headers['content-length'];
  if (declared === undefined) return false;
  const length = Number(declared);
  return Number.isFinite(length) && length > max;
}

/**
 * For answers given without reading the request body (errors, redirects, 413): without
 * `Connection: close` Node would read and discard the whole body after answering, to keep
 * the connection alive, however large the client says it is.
 */
export function closeIfBodyUnread(req: IncomingMessage, res: ServerResponse): void {
  const hasBody = req.headers['transfer-encoding'] !== undefined || (req.headers['content-length'] ?? '0') !== '0';
  if (hasBody && !req.complete && !res.headersSent) res.setHeader('connection', 'close');
}
