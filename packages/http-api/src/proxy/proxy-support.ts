import type { ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import { DomainErrors, isDomainError, type PortForward } from '@porthole/core';
import { HttpError, HttpErrors } from '../errors/http-error';
import { UPSTREAM_HOOK, type UpstreamHook } from './upstream-pool';

/**
 * The base object of the outgoing request options. http-proxy 1.18.1 builds the options
 * on its `ssl` option object and computes the path with `url.parse` and `urlJoin`, which
 * merges `//` and rewrites `http:/` inside paths. Pinning `path` with an accessor makes
 * the app receive the raw path and query exactly as the client sent them.
 */
export function outgoingBase(upstreamUrl: string, hook: UpstreamHook): object {
  const base: Record<string | symbol, unknown> = {
    [UPSTREAM_HOOK]: hook,
    // A client without a Host header must not get the placeholder target's host.
    setHost: false,
  };
  Object.defineProperty(base, 'path', {
    enumerable: true,
    get: () => upstreamUrl,
    set: () => undefined,
  });
  return base;
}

/**
 * What an upstream failure means to the client. Dial failures are already DomainErrors;
 * an answer Node's HTTP parser rejects (its codes are `HPE_*`: garbage, a bad status
 * line, broken framing) is `bad_upstream_response`; another socket error (the app reset
 * or closed the connection before answering) is `upstream_unreachable`. All are 502s.
 */
export function upstreamFailure(error: unknown, forward: PortForward): unknown {
  if (isDomainError(error) || error instanceof HttpError) return error;
  // Read by shape, not `instanceof Error`: errors made inside Node's own http code come
  // from another realm under Jest's vm sandbox, and fail that test there.
  const code = typeof error === 'object' && error !== null ? (error as NodeJS.ErrnoException).code : undefined;
  if (typeof code !== 'string') return error;
  if (code.startsWith('HPE_')) return HttpErrors.badUpstreamResponse(forward.containerPort);
  // Dial failures arrive as DomainErrors (above): this connection was accepted.
  return DomainErrors.upstreamClosed(forward.containerPort, error);
}

export function redirect(res: ServerResponse, location: string): void {
  res.writeHead(308, { location, 'content-length': 0, 'cache-control': 'no-store' });
  res.end();
}

/**
 * Ends our side once everything written so far is flushed, then lets the socket go. Used
 * to pass a close from one side of a piped pair to the other without cutting off data
 * (a WebSocket close frame) that is still on its way.
 */
export function finishThenDestroy(stream: Duplex): void {
  if (stream.destroyed) return;
  if (stream.writableFinished) {
    stream.destroy();
    return;
  }
  stream.once('finish', () => stream.destroy());
  stream.end();
}
