import type { IncomingMessage } from 'node:http';

const BEARER = /^Bearer[ \t]+([^\s]+)[ \t]*$/i;

/** The token of an `Authorization: Bearer <token>` header, if there is one. */
export function bearerFromHeader(req: IncomingMessage): string | undefined {
  const header = req.headers.authorization;
  if (header === undefined) return undefined;
  return BEARER.exec(header)?.[1];
}

/**
 * Browsers cannot set headers on a WebSocket, so the token rides in the subprotocol list
 * as `['Bearer', token]` (the Kubernetes dashboard and Coder do the same).
 */
export function bearerFromSubprotocols(req: IncomingMessage): string | undefined {
  const header = req.headers['sec-websocket-protocol'];
  if (header === undefined) return undefined;
  const protocols = header.split(',').map((p) => p.trim());
  const index = protocols.findIndex((p) => p.toLowerCase() === 'bearer');
  if (index < 0) return undefined;
  const token = protocols[index + 1];
  return token === undefined || token.length === 0 ? undefined : token;
}
