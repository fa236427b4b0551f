/** A readable side the tunnel can hold back: a socket, or a WebSocket. */
export interface Pausable {
  pause(): void;
  resume(): void;
}

/**
 * Pauses a source while any reason to hold it holds, and resumes it when the last is
 * released. Backpressure is one reason; a rate limiter is another (see `Throttle`).
 */
export class PauseGate {
  private readonly held = new Set<string>();

  constructor(private readonly source: Pausable) {}

  hold(reason: string): void {
    if (this.held.has(reason)) return;
    this.held.add(reason);
    if (this.held.size === 1) this.source.pause();
  }

  release(reason: string): void {
    if (!this.held.delete(reason)) return;
    if (this.held.size === 0) this.source.resume();
  }

  isHeld(reason?: string): boolean {
    return reason === undefined ? this.held.size > 0 : this.held.has(reason);
  }
}

/**
 * Paces one direction of a connection: after `bytes` have been passed on, how many
 * milliseconds the source must wait before the next read. The `Pacer` holds the source for
 * that long. `unthrottled` never waits; `TokenBucket` is the per-connection rate limit.
 */
export interface Throttle {
  delayAfter(bytes: number): number;
  /**
   * The largest piece passed on at once: larger chunks are cut so that one big message
   * is paced like a stream instead of slipping through whole. Unset: never cut.
   */
  readonly sliceBytes?: number;
}

export const unthrottled: Throttle = { delayAfter: () => 0 };
