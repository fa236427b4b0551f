import type { FieldIssue } from '@porthole/core';
import type { DeliveryErrorCode } from './error-status';

/** An error that only the delivery layer knows about (credentials, sizes, routes, HTTP itself). */
export class HttpError extends Error {
  override readonly name = 'HttpError';

  constructor(
    readonly code: DeliveryErrorCode,
    message: string,
    readonly details: readonly FieldIssue[] = [],
  ) {
    super(message);
  }
}

export const HttpErrors = {
  unauthenticated: () =>
    new HttpError(
      'unauthenticated',
      'A valid credential is required: send "Authorization: Bearer <token>".',
    ),
  /**
   * A browser reached a proxied page without a session: what to do, for a person. The
   * same text reaches API clients in the JSON shape.
   */
  noBrowserSession: () =>
    new HttpError(
      'unauthenticated',
      'This forward needs a Porthole session. Open the link that "porthole forward link" (or POST ' +
        '/api/containers/{containerId}/port-forwards/{forwardId}/links) gives you, or add ' +
        '?porthole_token=<your token> to this address once; or send "Authorization: Bearer <token>".',
    ),
  /** A one-time link that was used already, has expired, or is not this forward's. */
  linkNotValid: () =>
    new HttpError(
      'unauthenticated',
      'This link was used already or has expired (links work once, for a few minutes). Ask for a new one: ' +
        '"porthole forward link", or POST /api/containers/{containerId}/port-forwards/{forwardId}/links.',
    ),
  /**
   * A request authenticated by the session cookie from a page of another origin: a POST
   * or other unsafe method (CSRF), or a WebSocket upgrade (cross-site WebSocket hijacking).
   */
  originNotAllowed: (origin: string) =>
    new HttpError('origin_not_allowed', `A request or WebSocket authenticated by a Porthole session must come from the forward's own pages, not from ${origin}.`),
  payloadTooLarge: (limit: number) =>
    new HttpError('payload_too_large', `The request body is larger than the limit of ${limit} bytes.`),
  routeNotFound: (method: string, path: string) =>
    new HttpError('route_not_found', `There is no route ${method} ${path}.`),
  /** The request line and headers did not all arrive within the server's headers timeout. */
  requestTimeout: () =>
    new HttpError('request_timeout', 'The request headers did not arrive in time; the connection is closed.'),
  headersTooLarge: () =>
    new HttpError('headers_too_large', 'The request line or headers are too large.'),
  connectNotSupported: () =>
    new HttpError('method_not_supported', 'CONNECT is not supported: Porthole is not a forward proxy.'),
  /**
   * The app answered, but not with HTTP that can be relayed: a bad status line or header,
   * broken framing, a body cut short before any of it was sent, a 101 nobody asked for.
   */
  badUpstreamResponse: (port: number) =>
    new HttpError('bad_upstream_response', `The app on port ${port} of the container sent an invalid HTTP response.`),
  /** The app's answer declares, or grows to, a body over the proxy's limit; nothing of it was sent. */
  upstreamResponseTooLarge: (port: number, limit: number) =>
    new HttpError(
      'upstream_response_too_large',
      `The app on port ${port} of the container answered with a body larger than the limit of ${limit} bytes.`,
    ),
  /** The whole request reached the app, and nothing came back for the proxy's idle timeout. */
  upstreamTimeout: (port: number, ms: number) =>
    new HttpError('upstream_timeout', `The app on port ${port} of the container did not answer within ${ms} ms.`),
};
