import type { Duplex } from 'node:stream';

/**
 * A container as the domain sees it, whatever runtime runs it (a Docker container, a
 * Kubernetes pod). Adapters reduce their SDK's objects to this and nothing more.
 */
export interface RuntimeContainer {
  /** Canonical id; the same whichever name the container was looked up by. */
  readonly id: string;
  readonly name: string;
  readonly running: boolean;
  /**
   * Frozen but alive (`docker pause`): not running, so no new forwards, but the same life
   * goes on after unpausing, so its forwards stay.
   */
  readonly paused: boolean;
  /** The runtime's own word for the state (`exited`, `paused`, ...), for messages. */
  readonly state: string;
  /**
   * Changes every time the container starts: a restart is a new life. For a container
   * that shares another's network namespace it also changes when that one restarts.
   */
  readonly incarnation: string;
  /** Value of the `porthole.owner` label, or null when unlabelled. */
  readonly owner: string | null;
}

/** What to dial: a port of one container, in the life the forward was made for. */
export interface DialTarget {
  readonly containerId: string;
  readonly incarnation: string;
  readonly port: number;
}

export type LifecycleEvent =
  /** The container stopped, died, was killed or removed, or lost its network for good. */
  | { readonly type: 'stopped'; readonly containerId: string; readonly reason: string }
  /** The event stream had a gap and is back: events may have been missed. */
  | { readonly type: 'resumed' };

export type RuntimeFailureReason =
  /** The runtime cannot be reached or answered with a server error. */
  | 'unavailable'
  /** The container is gone, stopped, or in another life than the one asked for. */
  | 'gone'
  /** The container is there but nothing accepts connections on the port. */
  | 'refused'
  /** The container is paused in the same life: it will serve again once unpaused. */
  | 'paused';

/**
 * The only error a runtime adapter lets cross the port: raw SDK errors are reduced to a
 * reason here, so the core decides what each means for the caller.
 */
export class RuntimeFailure extends Error {
  override readonly name = 'RuntimeFailure';

  constructor(
    readonly reason: RuntimeFailureReason,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

export type Unsubscribe = () => void;

export interface ContainerRuntime {
  /**
   * Looks a container up by any name the runtime accepts (full id, short id, name).
   * Resolves null when there is no such container.
   * Rejects with RuntimeFailure('unavailable') when the runtime cannot be asked.
   */
  find(ref: string): Promise<RuntimeContainer | null>;

  /**
   * Opens a TCP connection to a port of the container, at an address the runtime itself
   * reports for it. Resolves once connected.
   * Rejects with RuntimeFailure: 'gone' when the container no longer runs in the given
   * incarnation, 'paused' when it is paused in that incarnation, 'refused' when nothing
   * accepts on the port (quickly, with a connect timeout), 'unavailable' when the runtime
   * cannot be asked.
   */
  dial(target: DialTarget): Promise<Duplex>;

  /**
   * Delivers lifecycle events until unsubscribed. Reconnects by itself when its source
   * breaks, and emits 'resumed' after every reconnection so that missed events can be
   * reconciled. Never throws to the listener; listener errors are the listener's.
   */
  watch(listener: (event: LifecycleEvent) => void): Unsubscribe;

  /** Resolves when the runtime answers; rejects with RuntimeFailure('unavailable'). */
  ping(): Promise<void>;
}
