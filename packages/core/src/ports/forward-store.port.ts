import type { ForwardId } from '../domain/forward-id';
import type { PortForward } from '../domain/port-forward';

export type InsertOutcome =
  | { readonly ok: true }
  | { readonly ok: false; readonly reason: 'duplicate_port' | 'limit_reached' | 'domain_taken' };

export type DomainUpdateOutcome =
  | { readonly ok: true; readonly forward: PortForward }
  | { readonly ok: false; readonly reason: 'not_found' | 'domain_taken' };

/**
 * Where forwards live. The store is the last line of defence for the per-container rules:
 * `insert` checks them and writes in one atomic step, so they hold even if two processes
 * share the store.
 */
export interface ForwardStore {
  /**
   * Adds the forward unless its container already has one for the same container port
   * or already has `maxPerContainer` forwards, or another forward has its custom domain.
   * Rejects only when storage fails.
   */
  insert(forward: PortForward, maxPerContainer: number): Promise<InsertOutcome>;
  /**
   * Sets (or, with null, clears) the forward's custom domain, unless another forward has
   * it; atomically, so two forwards never share one. Rejects only when storage fails.
   */
  setCustomDomain(id: ForwardId, domain: string | null): Promise<DomainUpdateOutcome>;
  /** Resolves undefined when there is no such forward. */
  get(id: ForwardId): Promise<PortForward | undefined>;
  /** The container's forwards, oldest first. */
  listByContainer(containerId: string): Promise<readonly PortForward[]>;
  /** Every forward, oldest first. */
  listAll(): Promise<readonly PortForward[]>;
  /** Removes and returns the forward; undefined when it was already gone. */
  remove(id: ForwardId): Promise<PortForward | undefined>;
}
