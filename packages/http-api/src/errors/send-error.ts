import { STATUS_CODES, type IncomingMessage, type ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import { DomainErrors } from '@porthole/core';
import type { Logger } from '../logger';
import { HttpErrors } from './http-error';
import { toErrorResponse, type ErrorResponse } from './error-body';

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

function htmlPage(response: ErrorResponse): string {
  const { status, body } = response;
  const title = `${status} ${STATUS_CODES[status] ?? 'Error'}`;
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(title)} · Porthole</title>
<style>body{font:16px/1.5 system-ui,sans-serif;max-width:40rem;margin:4rem auto;padding:0 1rem;color:#222}code{background:#f3f3f3;padding:0 .2em}</style>
</head><body><h1>${escapeHtml(title)}</h1><p>${escapeHtml(body.error.message)}</p>
<p><small>Porthole · <code>${escapeHtml(body.error.code)}</code></small></p></body></html>
`;
}

/** Browsers asking for a page get a small HTML one; everyone else the JSON shape. */
export function prefersHtml(req: IncomingMessage): boolean {
  const accept = req.headers.accept ?? '';
  return accept.includes('text/html');
}

function logIfUnexpected(response: ErrorResponse, error: unknown, logger: Logger, requestId?: string): void {
  if (response.unexpected) logger.error({ err: error, requestId }, 'unexpected error while handling a request');
}

/**
 * Answers with the error, unless an answer is already under way; then the only honest
 * thing left is to cut the connection.
 */
export function sendError(
  req: IncomingMessage,
  res: ServerResponse,
  error: unknown,
  logger: Logger,
  options: { html?: boolean; requestId?: string } = {},
): void {
  const response = toErrorResponse(error);
  logIfUnexpected(response, error, logger, options.requestId);
  if (res.headersSent || res.destroyed) {
    res.destroy();
    return;
  }
  const html = options.html === true && prefersHtml(req);
  const payload = html ? htmlPage(response) : JSON.stringify(response.body);
  res.writeHead(response.status, {
    'content-type': html ? 'text/html; charset=utf-8' : 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(payload),
    'cache-control': 'no-store',
  });
  res.end(payload);
}

/**
 * For the server's `clientError` event (a request Node could not parse): the JSON shape
 * with 431 for oversized headers, 408 when they took too long, and 400 otherwise, then close. A reset has no one to answer.
 */
export function answerClientError(error: NodeJS.ErrnoException, socket: Duplex, logger: Logger): void {
  logger.debug({ err: error }, 'unparsable request');
  if (error.code === 'ECONNRESET' || socket.destroyed || !socket.writable) {
    socket.destroy();
    return;
  }
  const refusal =
    error.code === 'HPE_HEADER_OVERFLOW'
      ? HttpErrors.headersTooLarge()
      : error.code === 'ERR_HTTP_REQUEST_TIMEOUT'
        ? HttpErrors.requestTimeout()
        : DomainErrors.invalidRequest('The request is not well-formed HTTP/1.1.');
  rejectUpgrade(socket, refusal, logger);
}

/**
 * Refuses a WebSocket upgrade with a real HTTP response on the raw socket, before any
 * handshake, so clients see 401/404/502 rather than a failed connection.
 */
export function rejectUpgrade(socket: Duplex, error: unknown, logger: Logger, requestId?: string): void {
  const response = toErrorResponse(error);
  logIfUnexpected(response, error, logger, requestId);
  if (socket.destroyed || !socket.writable) {
    socket.destroy();
    return;
  }
  const payload = JSON.stringify(response.body);
  socket.end(
    `HTTP/1.1 ${response.status} ${STATUS_CODES[response.status] ?? 'Error'}\r\n` +
      'Connection: close\r\n' +
      'Content-Type: application/json; charset=utf-8\r\n' +
      `Content-Length: ${Buffer.byteLength(payload)}\r\n` +
      'Cache-Control: no-store\r\n' +
      '\r\n' +
      payload,
  );
}
