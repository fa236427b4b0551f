import type { PortForward } from '../domain/port-forward';
import type { Principal } from '../domain/principal';

export type ForwardRemovalReason = 'deleted' | 'container_stopped' | 'reconciled';

/** Why a caller was turned away (it answered as if the thing did not exist, or 403). */
export type AccessDenialReason = 'not_owner' | 'plan_required';

export type ForwardEvent =
  | { readonly type: 'forward_created'; readonly forward: PortForward; readonly principal: Principal }
  | {
      readonly type: 'forward_updated';
      readonly forward: PortForward;
      readonly previous: PortForward;
      /** Who changed it; absent when Porthole did (a domain it no longer allows, at start-up). */
      readonly principal?: Principal;
      readonly reason?: string;
    }
  | {
      readonly type: 'forward_removed';
      readonly forward: PortForward;
      readonly reason: ForwardRemovalReason;
      /** Why, in words, for logs ("container died", "deleted by admin"). */
      readonly detail: string;
      /** Who deleted it; absent when the lifecycle removed it. */
      readonly principal?: Principal;
    }
  | {
      /** For the audit log: a caller asked for something it may not have. */
      readonly type: 'access_denied';
      readonly principal: Principal;
      readonly reason: AccessDenialReason;
      /** The runtime's id of the container (never shown to the caller, who gets 404). */
      readonly container?: string;
      readonly forwardId?: string;
    };

/**
 * Tells the rest of the process what happened to forwards; delivery adapters close live
 * connections of a removed forward, and the audit log writes a line for each event.
 * Publishing never throws and never waits for listeners.
 */
export interface ForwardEventPublisher {
  publish(event: ForwardEvent): void;
}
