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
 * Paces one direction of a tunnel: after `bytes` have been passed on, how many
 * milliseconds the source must wait before the next read. The tunnel holds the source for
 * that long. `unthrottled` never waits; a token bucket over `tunnelBytesPerSecond` is the
 * implementation the per-tunnel rate limit needs.
 */
export interface Throttle {
  delayAfter(bytes: number): number;
}

export const unthrottled: Throttle = { delayAfter: () => 0 };
