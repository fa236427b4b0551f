import type { IncomingMessage } from 'node:http';
import type { ForwardEvent, Principal } from '@porthole/core';
import type { Logger } from '../logger';

/**
 * One audit record: who did what to which container and forward, and why. Every field is
 * always there (null when it does not apply), so the lines are easy to query.
 */
export interface AuditEntry {
  readonly event: 'forward.created' | 'forward.updated' | 'forward.deleted' | 'forward.removed' | 'access.denied';
  readonly principal: string | null;
  /**
   * The principal's role, null with no principal. The id alone does not say whether the
   * caller was an admin: `admin` is the admin token's id, but a JWT's `sub` may be any id.
   */
  readonly role: Principal['role'] | null;
  readonly container: string | null;
  readonly forward: string | null;
  readonly reason: string | null;
  /** Event-specific facts: the container port, the custom domain, the client's address. */
  readonly [detail: string]: unknown;
}

/** Where audit records go: one JSON line each (README "Audit log"). Never throws. */
export type AuditSink = (entry: AuditEntry) => void;

/** Audit lines in the process's own log, marked `"audit": "<event>"`. */
export function loggerAuditSink(logger: Logger): AuditSink {
  return ({ event, ...rest }) => logger.info({ audit: event, ...rest }, 'audit');
}

/** The audit record of a forward event. */
export function auditEntryOf(event: ForwardEvent): AuditEntry {
  switch (event.type) {
    case 'forward_created':
      return {
        event: 'forward.created',
        principal: event.principal.id,
        role: event.principal.role,
        container: event.forward.containerId,
        forward: event.forward.id,
        reason: null,
        container_port: event.forward.containerPort,
        local_port: event.forward.localPort,
        custom_domain: event.forward.customDomain,
      };
    case 'forward_updated':
      return {
        event: 'forward.updated',
        principal: event.principal?.id ?? null,
        role: event.principal?.role ?? null,
        container: event.forward.containerId,
        forward: event.forward.id,
        reason: event.reason ?? null,
        custom_domain: event.forward.customDomain,
        previous_custom_domain: event.previous.customDomain,
      };
    case 'forward_removed':
      return {
        // A delete by a caller, or the lifecycle's cleanup (container stopped, or found
        // gone at a reconcile or at start-up).
        event: event.reason === 'deleted' ? 'forward.deleted' : 'forward.removed',
        principal: event.principal?.id ?? null,
        role: event.principal?.role ?? null,
        container: event.forward.containerId,
        forward: event.forward.id,
        reason: event.reason === 'deleted' ? null : `${event.reason}: ${event.detail}`,
      };
    case 'access_denied':
      return {
        event: 'access.denied',
        principal: event.principal.id,
        role: event.principal.role,
        container: event.container ?? null,
        forward: event.forwardId ?? null,
        reason: event.reason,
      };
  }
}

/**
 * A credential was presented and is not valid (a wrong or expired token, a used link):
 * worth a line, since that is what guessing looks like. A request with no credential at
 * all (a browser without a session) is not: it is the normal way to a login page.
 */
export function rejectedCredentialEntry(req: IncomingMessage, forwardId: string | null): AuditEntry {
  return {
    event: 'access.denied',
    principal: null,
    role: null,
    container: null,
    forward: forwardId,
    reason: 'bad_credential',
    remote_address: req.socket.remoteAddress ?? null,
    // Express strips a router's mount path from req.url; originalUrl keeps it.
    path: ((req as { originalUrl?: string }).originalUrl ?? req.url ?? '/').split('?')[0],
  };
}
