import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';

const SAFE_ID = /^[\w.:-]{1,128}$/;

/**
 * The id that ties log lines of one request together: the caller's `X-Request-Id` when it
 * is a sane value (so traces can cross a load balancer), else a fresh one. Memoized on
 * the request so every layer logs the same id.
 */
export function requestIdOf(req: IncomingMessage): string {
  const memo = req as IncomingMessage & { porthole_request_id?: string };
  if (memo.porthole_request_id !== undefined) return memo.porthole_request_id;
  const given = req.headers['x-request-id'];
  const id = typeof given === 'string' && SAFE_ID.test(given) ? given : randomUUID();
  memo.porthole_request_id = id;
  return id;
}
