import type { ForwardId } from '../domain/forward-id';
import type { PortForward } from '../domain/port-forward';
import type { DomainUpdateOutcome, ForwardStore, InsertOutcome } from '../ports/forward-store.port';
import { checkAddForward } from '../rules/forward-rules';

/**
 * Forwards in process memory: the store for tests and for running without a data
 * directory. Each method runs to completion synchronously, so check-and-insert is atomic.
 */
export class InMemoryForwardStore implements ForwardStore {
  // Map keeps insertion order, which is creation order: "oldest first" for free.
  private readonly forwards = new Map<ForwardId, PortForward>();

  async insert(forward: PortForward, maxPerContainer: number): Promise<InsertOutcome> {
    const violation = checkAddForward(
      this.byContainer(forward.containerId),
      forward.containerPort,
      maxPerContainer,
    );
    if (violation !== null) return { ok: false, reason: violation };
    if (this.domainTaken(forward.customDomain, forward.id)) return { ok: false, reason: 'domain_taken' };
    this.forwards.set(forward.id, forward);
    return { ok: true };
  }

  async setCustomDomain(id: ForwardId, domain: string | null): Promise<DomainUpdateOutcome> {
    const current = this.forwards.get(id);
    if (current === undefined) return { ok: false, reason: 'not_found' };
    if (this.domainTaken(domain, id)) return { ok: false, reason: 'domain_taken' };
    const forward = { ...current, customDomain: domain };
    this.forwards.set(id, forward);
    return { ok: true, forward };
  }

  async get(id: ForwardId): Promise<PortForward | undefined> {
    return this.forwards.get(id);
  }

  async listByContainer(containerId: string): Promise<readonly PortForward[]> {
    return this.byContainer(containerId);
  }

  async listAll(): Promise<readonly PortForward[]> {
    return [...this.forwards.values()];
  }

  async remove(id: ForwardId): Promise<PortForward | undefined> {
    const forward = this.forwards.get(id);
    this.forwards.delete(id);
    return forward;
  }

  private domainTaken(domain: string | null, by: ForwardId): boolean {
    if (domain === null) return false;
    for (const forward of this.forwards.values()) if (forward.customDomain === domain && forward.id !== by) return true;
    return false;
  }

  private byContainer(containerId: string): PortForward[] {
    return [...this.forwards.values()].filter((forward) => forward.containerId === containerId);
  }
}
