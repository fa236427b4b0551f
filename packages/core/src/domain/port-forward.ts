import type { ForwardId } from './forward-id';
import type { PortNumber } from './port-number';

/**
 * A forward from Porthole to one port of one container, for as long as that container
 * keeps running. `incarnation` pins the forward to one life of the container: once it
 * stops, even if it starts again, the forward is gone and nothing may dial it.
 */
export interface PortForward {
  readonly id: ForwardId;
  /** The runtime's canonical id, whatever name the caller used. */
  readonly containerId: string;
  readonly containerPort: PortNumber;
  readonly localPort: PortNumber;
  readonly name: string | null;
  /** A host name the forward also answers on (routed by `Host`), or null. Unique across forwards. */
  readonly customDomain: string | null;
  /** The owner label of the container when the forward was made; null if unlabelled. */
  readonly owner: string | null;
  readonly incarnation: string;
  readonly createdAt: Date;
}

export const MAX_FORWARD_NAME_LENGTH = 100;
