import type { IncomingMessage } from 'node:http';
import type { Principal } from '@porthole/core';
import { rejectedCredentialEntry, type AuditSink } from '../audit/audit-log';
import { HttpErrors } from '../errors/http-error';
import type { Authenticator } from './authenticator';
import { bearerFromHeader, bearerFromSubprotocols } from './credentials';

export type CredentialSource = 'header' | 'subprotocol';

export interface Authenticated {
  readonly principal: Principal;
  /** Where the credential came from, so it can be removed before the request goes on. */
  readonly source: CredentialSource;
}

/**
 * Authenticates an HTTP request or an upgrade. `allowSubprotocol` is for WebSocket
 * upgrades only. Rejects with `unauthenticated` when no valid credential is present; a
 * credential that was presented and is not valid goes to `audit`.
 */
export async function authenticateRequest(
  req: IncomingMessage,
  authenticator: Authenticator,
  options: { allowSubprotocol: boolean; audit?: AuditSink; forwardId?: string },
): Promise<Authenticated> {
  const fromHeader = bearerFromHeader(req);
  if (fromHeader !== undefined) {
    const principal = await authenticator.authenticate(fromHeader);
    if (principal !== null) return { principal, source: 'header' };
  }
  const fromProtocol = options.allowSubprotocol ? bearerFromSubprotocols(req) : undefined;
  if (fromProtocol !== undefined) {
    const principal = await authenticator.authenticate(fromProtocol);
    if (principal !== null) return { principal, source: 'subprotocol' };
  }
  if (fromHeader !== undefined || fromProtocol !== undefined) options.audit?.(rejectedCredentialEntry(req, options.forwardId ?? null));
  throw HttpErrors.unauthenticated();
}
