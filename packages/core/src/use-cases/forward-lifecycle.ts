import type { ContainerRuntime, LifecycleEvent, Unsubscribe } from '../ports/container-runtime.port';
import type { ForwardService } from './forward.service';

export interface LifecycleLog {
  (event: { msg: string; containerId?: string; removed?: number; error?: unknown }): void;
}

/**
 * Keeps forwards in step with their containers: a stop removes the container's forwards;
 * a resumed event stream triggers a reconcile, since stops may have been missed.
 */
export class ForwardLifecycle {
  private unsubscribe: Unsubscribe | undefined;
  private work: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly runtime: ContainerRuntime,
    private readonly forwards: ForwardService,
    private readonly log: LifecycleLog = () => undefined,
  ) {}

  start(): void {
    if (this.unsubscribe !== undefined) return;
    this.unsubscribe = this.runtime.watch((event) => this.enqueue(event));
  }

  stop(): void {
    this.unsubscribe?.();
    this.unsubscribe = undefined;
  }

  /** Resolves when every event received so far has been handled (tests, shutdown). */
  idle(): Promise<unknown> {
    return this.work;
  }

  // Events are handled one after another, so a reconcile never interleaves with a stop.
  private enqueue(event: LifecycleEvent): void {
    this.work = this.work.then(() => this.handle(event)).catch((error: unknown) => {
      this.log({ msg: 'lifecycle event handling failed', error });
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
