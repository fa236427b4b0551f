import type { ForwardId } from '../domain/forward-id';
import type { PortNumber } from '../domain/port-number';

/**
 * Hands out the host port (`local_port`) of each forward. An implementation may open a
 * listener on it right away; `release` closes it again.
 */
export interface LocalPortAllocator {
  /**
   * Reserves `requested`, or any free port of the allowed range when undefined.
   * Rejects with DomainError('local_port_unavailable') when the requested port is taken
   * or outside the range, or when the range is exhausted.
   */
  reserve(forwardId: ForwardId, requested: PortNumber | undefined): Promise<PortNumber>;
  /** Frees the port. Never rejects; releasing a free port does nothing. */
  release(port: PortNumber): Promise<void>;
}
