import type Dockerode from 'dockerode';

/** A running container that lives in another container's network namespace. */
export interface NetworkSharer {
  readonly id: string;
  /** The container whose namespace it joined, as the engine names it (Docker 20.10: the full id). */
  readonly ownerRef: string;
}

/**
 * The containers of a container list answer (`GET /containers/json`) that run with
 * `--network container:X`. Entries of any other shape are skipped: this only speeds up
 * what dial and reconcile find out anyway.
 */
export function networkSharers(listed: unknown): NetworkSharer[] {
  if (!Array.isArray(listed)) return [];
  return listed.flatMap((entry: unknown) => {
    const summary = entry as { Id?: unknown; HostConfig?: { NetworkMode?: unknown } | null } | null;
    const mode = summary?.HostConfig?.NetworkMode;
    const id = summary?.Id;
    if (typeof id !== 'string' || id === '' || typeof mode !== 'string' || !mode.startsWith('container:')) return [];
    return [{ id, ownerRef: mode.slice('container:'.length) }];
  });
}

/**
 * Tells which running containers lost their network because the container whose
 * namespace they joined died. Docker reports no event for them: they keep running, with
 * only `lo`, for good (the dead container's next life gets a new namespace). Without
 * this their forwards would stay listed until a dial or a reconcile finds them unusable
 * (toRuntimeContainer reports such a container as not running).
 *
 * One container list per batch of deaths: deaths that arrive while a list is under way
 * (`docker compose down`) are matched against the next one, so a burst of stops costs
 * two requests, not one per container.
 */
export class NetworkSharerLookup {
  private readonly dead = new Map<string, string | null>();
  private busy = false;
  private closed = false;

  constructor(
    private readonly docker: Dockerode,
    private readonly timeoutMs: number,
    /** Called once per sharer of a dead container, with the dead container's id. */
    private readonly onLost: (sharerId: string, deadId: string) => void,
    private readonly warn: (msg: string, error: unknown) => void,
  ) {}

  /** A container died; `name` (without the leading '/') matches engines that write names. */
  died(id: string, name: string | null): void {
    if (this.closed) return;
    this.dead.set(id, name);
    if (!this.busy) void this.drain();
  }

  /** Drops pending work; nothing is reported after. */
  close(): void {
    this.closed = true;
    this.dead.clear();
  }

  private async drain(): Promise<void> {
    this.busy = true;
    try {
      while (this.dead.size > 0 && !this.closed) {
        const batch = new Map(this.dead);
        this.dead.clear();
        let listed: unknown;
        try {
          // dockerode 4 takes an abortSignal here; @types/dockerode does not know it yet.
          const options = { abortSignal: AbortSignal.timeout(this.timeoutMs) } as Dockerode.ContainerListOptions;
          listed = await this.docker.listContainers(options);
        } catch (error) {
          this.warn(`could not list the containers that shared the network of ${batch.size} dead container(s)`, error);
          continue;
        }
        if (this.closed) return;
        for (const sharer of networkSharers(listed)) {
          const deadId = ownerIn(batch, sharer.ownerRef);
          if (deadId !== undefined) this.onLost(sharer.id, deadId);
        }
      }
    } finally {
      this.busy = false;
    }
  }
}

function ownerIn(dead: ReadonlyMap<string, string | null>, ownerRef: string): string | undefined {
  if (dead.has(ownerRef)) return ownerRef;
  for (const [id, name] of dead) if (name !== null && name === ownerRef.replace(/^\//, '')) return id;
  return undefined;
}
