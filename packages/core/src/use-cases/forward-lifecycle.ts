import type { ContainerRuntime, LifecycleEvent, Unsubscribe } from '../ports/container-runtime.port';
import type { ForwardService } from './forward.service';

export interface LifecycleLog {
  (event: { msg: string; level?: 'info' | 'error'; containerId?: string; removed?: number; error?: unknown; retryInMs?: number }): void;
}

/** How long to wait before handling a failed event again: each try waits the next, the last repeats. */
export const LIFECYCLE_RETRY_DELAYS_MS: readonly number[] = [1_000, 2_000, 5_000, 10_000, 30_000];

/**
 * Keeps forwards in step with their containers: a stop removes the container's forwards;
 * a resumed event stream triggers a reconcile, since stops may have been missed. An event
 * whose handling fails (the store cannot be written: a full disk) is tried again with
 * backoff until it succeeds: a forward must not outlive its container because one write
 * failed once.
 */
export class ForwardLifecycle {
  private unsubscribe: Unsubscribe | undefined;
  private work: Promise<unknown> = Promise.resolve();
  private readonly retries = new Set<NodeJS.Timeout>();

  constructor(
    private readonly runtime: ContainerRuntime,
    private readonly forwards: ForwardService,
    private readonly log: LifecycleLog = () => undefined,
    private readonly retryDelaysMs: readonly number[] = LIFECYCLE_RETRY_DELAYS_MS,
  ) {}

  start(): void {
    if (this.unsubscribe !== undefined) return;
    this.unsubscribe = this.runtime.watch((event) => this.enqueue(event, 0));
  }

  stop(): void {
    this.unsubscribe?.();
    this.unsubscribe = undefined;
    for (const timer of this.retries) clearTimeout(timer);
    this.retries.clear();
  }

  /** Resolves when every event received so far has been handled (tests, shutdown). */
  idle(): Promise<unknown> {
    return this.work;
  }

  // Events are handled one after another, so a reconcile never interleaves with a stop.
  private enqueue(event: LifecycleEvent, attempt: number): void {
    this.work = this.work.then(() => this.handle(event)).catch((error: unknown) => {
      const retryInMs = this.retryDelaysMs[Math.min(attempt, this.retryDelaysMs.length - 1)] ?? 1_000;
      this.log({
        msg: 'lifecycle event handling failed; trying again',
        level: 'error',
        ...(event.type === 'stopped' ? { containerId: event.containerId } : {}),
        error,
        retryInMs,
      });
      if (this.unsubscribe === undefined) return;
      const timer = setTimeout(() => {
        this.retries.delete(timer);
        this.enqueue(event, attempt + 1);
      }, retryInMs);
      timer.unref();
      this.retries.add(timer);
    });
  }

  private async handle(event: LifecycleEvent): Promise<void> {
    if (event.type === 'stopped') {
      const removed = await this.forwards.onContainerStopped(event.containerId, event.reason);
      if (removed > 0) {
        this.log({ msg: `container ${event.reason}: removed its forwards`, containerId: event.containerId, removed });
      }
      return;
    }
    const removed = await this.forwards.reconcile();
    this.log({ msg: 'runtime events resumed: reconciled forwards', removed });
  }
}
