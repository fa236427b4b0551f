import type { ForwardEvent, PortForward } from '@porthole/core';

/** `Host` as a bare, lowercase name: no port, no trailing dot. */
export function hostName(host: string): string {
  return host.replace(/:\d*$/, '').toLowerCase().replace(/\.$/, '');
}

/**
 * Which forward answers on which custom domain: a table in memory, kept from the forward
 * events (as Traefik keeps its routers from provider events), so routing a request by
 * `Host` costs one map lookup and no store query. The store's unique index is what keeps
 * a domain to one forward; this only follows it.
 */
export class CustomDomainRoutes {
  private readonly forwardByDomain = new Map<string, string>();

  /** Forwards that were in the store before events started (a restart). */
  seed(forwards: readonly PortForward[]): void {
    for (const forward of forwards) if (forward.customDomain !== null) this.forwardByDomain.set(forward.customDomain, forward.id);
  }

  apply(event: ForwardEvent): void {
    switch (event.type) {
      case 'forward_created':
        this.seed([event.forward]);
        return;
      case 'forward_updated':
        this.drop(event.previous);
        this.seed([event.forward]);
        return;
      case 'forward_removed':
        this.drop(event.forward);
        return;
      case 'access_denied':
        return;
    }
  }

  /** The forward that answers on this `Host`, if any. */
  forwardFor(host: string | undefined): string | undefined {
    if (host === undefined || this.forwardByDomain.size === 0) return undefined;
    return this.forwardByDomain.get(hostName(host));
  }

  private drop(forward: PortForward): void {
    // Only if it is still this forward's: a domain can move on before the old event lands.
    if (forward.customDomain !== null && this.forwardByDomain.get(forward.customDomain) === forward.id) {
      this.forwardByDomain.delete(forward.customDomain);
    }
  }
}
