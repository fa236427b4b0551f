import type { ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import { DomainErrors, isDomainError, type PortForward } from '@porthole/core';
import { HttpError } from '../errors/http-error';
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
 * a socket error (the app reset or closed the connection before answering) is a 502.
 */
export function upstreamFailure(error: unknown, forward: PortForward): unknown {
  if (isDomainError(error) || error instanceof HttpError) return error;
  if (error instanceof Error && typeof (error as NodeJS.ErrnoException).code === 'string') {
    return DomainErrors.upstreamUnreachable(forward.containerPort, error);
  }
  return error;
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
