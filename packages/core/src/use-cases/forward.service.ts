import type { Duplex } from 'node:stream';
import { DomainErrors, isDomainError } from '../domain/errors';
import { isForwardId, type ForwardId } from '../domain/forward-id';
import type { PortForward } from '../domain/port-forward';
import { parsePortNumber, type PortNumber } from '../domain/port-number';
import { planOf, type Principal } from '../domain/principal';
import type { Clock } from '../ports/clock.port';
import {
  RuntimeFailure,
  type ContainerRuntime,
  type RuntimeContainer,
} from '../ports/container-runtime.port';
import type { ForwardEventPublisher, ForwardRemovalReason } from '../ports/forward-events.port';
import type { ForwardStore } from '../ports/forward-store.port';
import type { IdGenerator } from '../ports/id-generator.port';
import type { LocalPortAllocator } from '../ports/local-port-allocator.port';
import { normalizeCustomDomain } from '../rules/custom-domain-rules';
import { canAccess, normalizeForwardName } from '../rules/forward-rules';
import { planTable, plansWithCustomDomains, type PlanOverrides, type PlanTable } from '../rules/plan-rules';
import { KeyedMutex } from '../support/keyed-mutex';

export interface ForwardPolicy {
  /** The cap for every plan that `plans` does not give one of its own. */
  readonly maxForwardsPerContainer: number;
  /** What each plan allows, where it differs from the defaults (see planTable). */
  readonly plans?: PlanOverrides;
  /**
   * Porthole's own host names (the public URL's host, the preview domain): no custom
   * domain may be one of them or lie below one.
   */
  readonly reservedDomains?: readonly string[];
}

/** A stored forward whose container no longer runs the life it was made for, and why. */
export interface StaleForward {
  readonly forward: PortForward;
  readonly reason: string;
}

/** What start-up made of the stored forwards. */
export interface RestoreReport {
  /** Still valid: served as before, with the same id, URLs and local port. */
  readonly kept: readonly PortForward[];
  readonly removed: readonly StaleForward[];
  /** Kept, but their host port could not be reopened (taken by another program). */
  readonly portsNotReopened: readonly { readonly forward: PortForward; readonly message: string }[];
  /**
   * Kept without their custom domain: it is now one of Porthole's own names (the public
   * URL or PORTHOLE_RESERVED_DOMAINS changed while it was down).
   */
  readonly domainsCleared: readonly { readonly forward: PortForward; readonly message: string }[];
}

export const DEFAULT_FORWARD_POLICY: ForwardPolicy = { maxForwardsPerContainer: 10 };

/** Containers asked about at once at start-up: enough to hide latency, few enough for any engine. */
const RESTORE_CONCURRENCY = 8;

/** Fields of a create request. Typed loosely on purpose: the core checks them itself. */
export interface CreateForwardInput {
  readonly containerPort: unknown;
  readonly localPort?: unknown;
  readonly name?: string | null;
  readonly customDomain?: unknown;
}

/** Fields a PATCH may change. */
export interface UpdateForwardInput {
  readonly customDomain: unknown;
}

export interface ForwardServiceDeps {
  readonly runtime: ContainerRuntime;
  readonly store: ForwardStore;
  readonly localPorts: LocalPortAllocator;
  readonly ids: IdGenerator;
  readonly clock: Clock;
  readonly events: ForwardEventPublisher;
  readonly policy?: ForwardPolicy;
}

/** A create in progress; a stop of its container while it runs makes it stale. */
interface PendingCreate {
  readonly incarnation: string;
  stale: boolean;
}

/**
 * The use cases of forwards. Every entry point that takes a caller answers "not found"
 * for what that caller may not see, exactly as for what does not exist.
 */
export class ForwardService {
  private readonly createLocks = new KeyedMutex();
  private readonly pendingCreates = new Map<string, Set<PendingCreate>>();
  private readonly plans: PlanTable;
  private readonly reservedDomains: readonly string[];

  constructor(private readonly deps: ForwardServiceDeps) {
    const policy = deps.policy ?? DEFAULT_FORWARD_POLICY;
    this.plans = planTable(policy.maxForwardsPerContainer, policy.plans);
    this.reservedDomains = policy.reservedDomains ?? [];
  }

  async createForward(
    principal: Principal,
    containerRef: string,
    input: CreateForwardInput,
  ): Promise<PortForward> {
    const containerPort = parsePortNumber(input.containerPort, 'container_port');
    const requestedLocal =
      input.localPort === undefined ? undefined : parsePortNumber(input.localPort, 'local_port');
    const name = normalizeForwardName(input.name);
    const customDomain = normalizeCustomDomain(input.customDomain, this.reservedDomains);

    const container = await this.findVisible(principal, containerRef);
    if (!container.running) throw DomainErrors.containerNotRunning(containerRef, container.state);
    if (customDomain !== null) this.requireCustomDomains(principal, container.id);
    const max = this.plans[planOf(principal)].maxForwardsPerContainer;

    const pending: PendingCreate = { incarnation: container.incarnation, stale: false };
    this.trackPending(container.id, pending);
    try {
      const forward = await this.createLocks.run(container.id, () =>
        this.insertForward(container, { containerPort, requestedLocal, name, customDomain }, max),
      );
      // The container stopped while we were creating: the stop handler could not see the
      // forward yet, so remove it here. The caller learns the container is not running.
      if (pending.stale) {
        await this.removeForward(forward, 'container_stopped', 'container stopped during create');
        throw DomainErrors.containerNotRunning(containerRef, 'stopped');
      }
      this.deps.events.publish({ type: 'forward_created', forward, principal });
      return forward;
    } finally {
      this.untrackPending(container.id, pending);
    }
  }

  async listForwards(principal: Principal, containerRef: string): Promise<readonly PortForward[]> {
    const container = await this.findVisible(principal, containerRef);
    // Forwards of an earlier life of the container (restarted, or on Kubernetes handed to
    // another owner by its label) are on their way out, and not this life's to show.
    return (await this.deps.store.listByContainer(container.id)).filter((forward) => forward.incarnation === container.incarnation);
  }

  async getForward(principal: Principal, containerRef: string, forwardId: string): Promise<PortForward> {
    const container = await this.findVisible(principal, containerRef);
    const forward = await this.lookup(forwardId);
    if (forward === undefined || forward.containerId !== container.id || forward.incarnation !== container.incarnation) {
      throw DomainErrors.forwardNotFound(forwardId);
    }
    return forward;
  }

  /**
   * Sets or clears the forward's custom domain. Setting one needs a plan with custom
   * domains (`plan_required`); clearing one is always allowed.
   */
  async updateForward(
    principal: Principal,
    containerRef: string,
    forwardId: string,
    input: UpdateForwardInput,
  ): Promise<PortForward> {
    const customDomain = normalizeCustomDomain(input.customDomain, this.reservedDomains);
    const previous = await this.getForward(principal, containerRef, forwardId);
    if (customDomain !== null) this.requireCustomDomains(principal, previous.containerId, previous.id);
    if (customDomain === previous.customDomain) return previous;
    const outcome = await this.deps.store.setCustomDomain(previous.id, customDomain);
    if (!outcome.ok) {
      throw outcome.reason === 'domain_taken' ? DomainErrors.domainTaken(customDomain ?? '') : DomainErrors.forwardNotFound(forwardId);
    }
    this.deps.events.publish({ type: 'forward_updated', forward: outcome.forward, previous, principal });
    return outcome.forward;
  }

  async deleteForward(principal: Principal, containerRef: string, forwardId: string): Promise<void> {
    const forward = await this.getForward(principal, containerRef, forwardId);
    const removed = await this.removeForward(forward, 'deleted', `deleted by ${principal.id}`, principal);
    // Lost a race with another delete or with the container stopping: already gone.
    if (!removed) throw DomainErrors.forwardNotFound(forwardId);
  }

  /** The forward behind a proxy or tunnel URL, if this caller may use it. */
  async resolveForward(principal: Principal, forwardId: string): Promise<PortForward> {
    const forward = await this.lookup(forwardId);
    if (forward === undefined) throw DomainErrors.forwardNotFound(forwardId);
    if (!canAccess(principal, forward.owner)) {
      this.deps.events.publish({ type: 'access_denied', principal, reason: 'not_owner', container: forward.containerId, forwardId: forward.id });
      throw DomainErrors.forwardNotFound(forwardId);
    }
    return forward;
  }

  /**
   * A connection to the forward's container port. A container that turns out to be gone
   * (an event we missed) takes its forward with it, and the caller gets "not found".
   */
  async connect(forward: PortForward): Promise<Duplex> {
    try {
      return await this.deps.runtime.dial({
        containerId: forward.containerId,
        incarnation: forward.incarnation,
        port: forward.containerPort,
      });
    } catch (error) {
      if (!(error instanceof RuntimeFailure)) throw error;
      switch (error.reason) {
        case 'refused':
          throw DomainErrors.upstreamUnreachable(forward.containerPort, error);
        case 'paused':
          throw DomainErrors.containerPaused(forward.containerId);
        case 'unavailable':
          throw DomainErrors.runtimeUnavailable(error);
        case 'gone':
          await this.onContainerStopped(forward.containerId, 'container gone when dialed');
          throw DomainErrors.forwardNotFound(forward.id);
      }
    }
  }

  /**
   * Lifecycle: the container stopped, died or was removed. Removes its forwards, except
   * those of a life that is running right now: a late event of the previous life (after a
   * quick restart) must not take the forwards made since. When the runtime cannot be asked,
   * everything goes: a forward to a stopped container is worse than one recreated.
   */
  async onContainerStopped(containerId: string, detail: string): Promise<number> {
    const running = await this.runningIncarnation(containerId);
    for (const pending of this.pendingCreates.get(containerId) ?? []) {
      if (pending.incarnation !== running) pending.stale = true;
    }
    const forwards = await this.deps.store.listByContainer(containerId);
    let removed = 0;
    for (const forward of forwards) {
      if (forward.incarnation === running) continue;
      if (await this.removeForward(forward, 'container_stopped', detail)) removed += 1;
    }
    return removed;
  }

  /** The life the container is in now, if it is alive (running or paused). */
  private async runningIncarnation(containerId: string): Promise<string | undefined> {
    try {
      const container = await this.deps.runtime.find(containerId);
      const alive = container !== null && (container.running || container.paused);
      return alive && container.id === containerId ? container.incarnation : undefined;
    } catch {
      return undefined;
    }
  }

  /**
   * After a gap in lifecycle events: every stored forward whose container no longer runs
   * in the same life is removed. A runtime that cannot be asked leaves forwards alone;
   * the next reconcile or dial decides.
   */
  async reconcile(): Promise<number> {
    const { stale } = await this.sortByLiveness(await this.deps.store.listAll());
    let removed = 0;
    for (const { forward, reason } of stale) {
      if (await this.removeForward(forward, 'reconciled', reason)) removed += 1;
    }
    return removed;
  }

  /**
   * Start-up, with forwards loaded from storage: those whose container is gone, stopped
   * or restarted meanwhile are removed (each with its reason); the others take back their
   * host port. A port that another program took while Porthole was down cannot be
   * reopened: the forward stays (the proxy and the tunnel still reach it), and the report
   * says so. Call once, before serving.
   */
  async restore(): Promise<RestoreReport> {
    const { stale, live } = await this.sortByLiveness(await this.deps.store.listAll());
    const removed: StaleForward[] = [];
    for (const entry of stale) {
      if (await this.removeForward(entry.forward, 'reconciled', entry.reason)) removed.push(entry);
    }
    const portsNotReopened: { forward: PortForward; message: string }[] = [];
    const domainsCleared: { forward: PortForward; message: string }[] = [];
    const kept: PortForward[] = [];
    for (const stored of live) {
      const forward = await this.clearReservedDomain(stored, domainsCleared);
      try {
        await this.deps.localPorts.restore(forward.id, forward.localPort);
      } catch (error) {
        if (!isDomainError(error)) throw error;
        portsNotReopened.push({ forward, message: error.message });
      }
      // Removed meanwhile (its container stopped while we were restoring, and the lifecycle
      // removed it): the port goes too, and it is not reported as kept.
      if ((await this.deps.store.get(forward.id)) === undefined) await this.deps.localPorts.release(forward.localPort);
      else kept.push(forward);
    }
    return { kept, removed, portsNotReopened, domainsCleared };
  }

  /**
   * A stored custom domain that is now Porthole's own name would shadow Porthole itself
   * (routing by Host wins): it is taken off the forward, which stays.
   */
  private async clearReservedDomain(forward: PortForward, cleared: { forward: PortForward; message: string }[]): Promise<PortForward> {
    if (forward.customDomain === null) return forward;
    try {
      normalizeCustomDomain(forward.customDomain, this.reservedDomains);
      return forward;
    } catch (error) {
      if (!isDomainError(error)) throw error;
      const outcome = await this.deps.store.setCustomDomain(forward.id, null);
      if (!outcome.ok) return forward;
      cleared.push({ forward: outcome.forward, message: error.message });
      this.deps.events.publish({ type: 'forward_updated', forward: outcome.forward, previous: forward, reason: 'custom domain is reserved' });
      return outcome.forward;
    }
  }

  /**
   * Splits forwards by whether their container still runs the same life: asked once per
   * container (and life), a few containers at a time, so that a slow runtime delays
   * start-up by the slowest answers rather than by the sum of them all.
   */
  private async sortByLiveness(forwards: readonly PortForward[]): Promise<{ stale: StaleForward[]; live: PortForward[] }> {
    // Per container, and per life: forwards of one container share a verdict only if
    // they were made in the same life.
    const keyOf = (forward: PortForward) => `${forward.containerId}\u0000${forward.incarnation}`;
    const first = new Map<string, PortForward>();
    for (const forward of forwards) if (!first.has(keyOf(forward))) first.set(keyOf(forward), forward);
    const verdicts = new Map<string, string | null>();
    const queue = [...first.entries()];
    const worker = async () => {
      for (let next = queue.shift(); next !== undefined; next = queue.shift()) verdicts.set(next[0], await this.staleReason(next[1]));
    };
    await Promise.all(Array.from({ length: Math.min(RESTORE_CONCURRENCY, queue.length) }, worker));
    const stale: StaleForward[] = [];
    const live: PortForward[] = [];
    for (const forward of forwards) {
      const reason = verdicts.get(keyOf(forward)) ?? null;
      if (reason === null) live.push(forward);
      else stale.push({ forward, reason });
    }
    return { stale, live };
  }

  private async staleReason(forward: PortForward): Promise<string | null> {
    let container: RuntimeContainer | null;
    try {
      container = await this.deps.runtime.find(forward.containerId);
    } catch {
      return null;
    }
    if (container === null) return 'container no longer exists';
    if (container.incarnation !== forward.incarnation) return 'container was restarted';
    if (!container.running && !container.paused) return `container is ${container.state}`;
    return null;
  }

  /** Custom domains are a plan feature: a caller without it is refused (and audited). */
  private requireCustomDomains(principal: Principal, containerId: string, forwardId?: string): void {
    const plan = planOf(principal);
    if (this.plans[plan].customDomains) return;
    this.deps.events.publish({
      type: 'access_denied',
      principal,
      reason: 'plan_required',
      container: containerId,
      ...(forwardId === undefined ? {} : { forwardId }),
    });
    throw DomainErrors.planRequired('Custom domains', plan, plansWithCustomDomains(this.plans));
  }

  private async insertForward(
    container: RuntimeContainer,
    fields: { containerPort: PortNumber; requestedLocal: PortNumber | undefined; name: string | null; customDomain: string | null },
    maxForwardsPerContainer: number,
  ): Promise<PortForward> {
    const { containerPort, requestedLocal, name, customDomain } = fields;
    const stored = await this.deps.store.listByContainer(container.id);
    // Forwards of an earlier life whose end has not been handled yet (an event still on
    // its way) end now: they would hold this life's ports and count against its cap.
    for (const old of stored) if (old.incarnation !== container.incarnation) await this.removeForward(old, 'container_stopped', 'an earlier life of the container');
    const existing = stored.filter((forward) => forward.incarnation === container.incarnation);
    if (existing.some((forward) => forward.containerPort === containerPort)) {
      throw DomainErrors.portAlreadyForwarded(containerPort);
    }
    if (existing.length >= maxForwardsPerContainer) {
      throw DomainErrors.limitExceeded(maxForwardsPerContainer);
    }
    const id = this.deps.ids.forwardId();
    const localPort = await this.deps.localPorts.reserve(id, requestedLocal);
    const forward: PortForward = {
      id,
      containerId: container.id,
      containerPort,
      localPort,
      name,
      customDomain,
      owner: container.owner,
      incarnation: container.incarnation,
      createdAt: this.deps.clock.now(),
    };
    try {
      const outcome = await this.deps.store.insert(forward, maxForwardsPerContainer);
      if (!outcome.ok) {
        switch (outcome.reason) {
          case 'duplicate_port':
            throw DomainErrors.portAlreadyForwarded(containerPort);
          case 'limit_reached':
            throw DomainErrors.limitExceeded(maxForwardsPerContainer);
          case 'domain_taken':
            throw DomainErrors.domainTaken(customDomain ?? '');
        }
      }
    } catch (error) {
      await this.deps.localPorts.release(localPort);
      throw error;
    }
    return forward;
  }

  private async findVisible(principal: Principal, containerRef: string): Promise<RuntimeContainer> {
    let container: RuntimeContainer | null;
    try {
      container = await this.deps.runtime.find(containerRef);
    } catch (error) {
      if (error instanceof RuntimeFailure) throw DomainErrors.runtimeUnavailable(error);
      throw error;
    }
    if (container === null) throw DomainErrors.containerNotFound(containerRef);
    if (!canAccess(principal, container.owner)) {
      this.deps.events.publish({ type: 'access_denied', principal, reason: 'not_owner', container: container.id });
      throw DomainErrors.containerNotFound(containerRef);
    }
    return container;
  }

  private async lookup(forwardId: string): Promise<PortForward | undefined> {
    if (!isForwardId(forwardId)) return undefined;
    return this.deps.store.get(forwardId as ForwardId);
  }

  /** Returns false when someone else removed it first; each removal is announced once. */
  private async removeForward(
    forward: PortForward,
    reason: ForwardRemovalReason,
    detail: string,
    principal?: Principal,
  ): Promise<boolean> {
    const removed = await this.deps.store.remove(forward.id);
    if (removed === undefined) return false;
    await this.deps.localPorts.release(removed.localPort);
    this.deps.events.publish({ type: 'forward_removed', forward: removed, reason, detail, ...(principal === undefined ? {} : { principal }) });
    return true;
  }

  private trackPending(containerId: string, pending: PendingCreate): void {
    let set = this.pendingCreates.get(containerId);
    if (set === undefined) {
      set = new Set();
      this.pendingCreates.set(containerId, set);
    }
    set.add(pending);
  }

  private untrackPending(containerId: string, pending: PendingCreate): void {
    const set = this.pendingCreates.get(containerId);
    set?.delete(pending);
    if (set?.size === 0) this.pendingCreates.delete(containerId);
  }
}
