import type { PortForward } from '../domain/port-forward';

export type ForwardRemovalReason = 'deleted' | 'container_stopped' | 'reconciled';

export type ForwardEvent =
  | { readonly type: 'forward_created'; readonly forward: PortForward }
  | {
      readonly type: 'forward_removed';
      readonly forward: PortForward;
      readonly reason: ForwardRemovalReason;
      /** Why, in words, for logs ("container died", "deleted by admin"). */
      readonly detail: string;
    };

/**
 * Tells the rest of the process what happened to forwards; delivery adapters close live
 * connections of a removed forward. Publishing never throws and never waits for listeners.
 */
export interface ForwardEventPublisher {
  publish(event: ForwardEvent): void;
}
