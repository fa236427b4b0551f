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
  /**
   * Takes back the port of a forward loaded from storage after a restart: the same port,
   * whatever the allowed range says now. Rejects with DomainError('local_port_unavailable')
   * when it cannot be reopened (another program took it meanwhile); the port stays booked
   * for the forward all the same, so that no other forward is handed it.
   */
  restore(forwardId: ForwardId, port: PortNumber): Promise<void>;
  /** Frees the port. Never rejects; releasing a free port does nothing. */
  release(port: PortNumber): Promise<void>;
}
