import { unthrottled, type Throttle } from './pause-gate';

export interface TokenBucketOptions {
  /** The sustained rate, in bytes per second (> 0). */
  readonly bytesPerSecond: number;
  /** The most that passes at once after a quiet spell; default BURST_SECONDS worth. */
  readonly burstBytes?: number;
  /** A clock in milliseconds; tests pass their own. */
  readonly now?: () => number;
}

// The burst is what a measurement window sees on top of the rate: a 10 MB burst made a
// 10 MB/s limiter measure 12-15 MB/s over a few seconds (recipes/node-proxy-pitfalls.md).
// A fifth of a second's worth adds at most ~7 % to any 3 s window, and still absorbs
// timers that fire up to 200 ms late on a busy machine without losing rate.
export const BURST_SECONDS = 0.2;
// Pieces stay small enough that a 1 MiB message is paced like a stream, not let through
// whole; 16 KiB is what a socket hands over per read on a busy connection anyway.
const MAX_SLICE_BYTES = 16 * 1024;
const MIN_SLICE_BYTES = 1024;
// Once in debt, sleep at least this long: waking for every slice would cost one timer per
// 16 KiB (hundreds a second at 10 MB/s) for no gain in accuracy.
const MIN_WAIT_MS = 10;

/**
 * A token bucket over bytes: full at the start (one burst may pass at once), refilled at
 * `bytesPerSecond`, capped at the burst. Passing bytes on takes tokens, possibly into
 * debt; the answer is how long to wait until the debt is paid. Waiting is the caller's
 * job (it pauses its source): nothing here drops or delays bytes by itself.
 */
export class TokenBucket implements Throttle {
  readonly sliceBytes: number;
  private readonly rate: number;
  private readonly burst: number;
  private readonly now: () => number;
  private tokens: number;
  private last: number;

  constructor(options: TokenBucketOptions) {
    if (!(options.bytesPerSecond > 0)) throw new RangeError(`bytesPerSecond must be positive, got ${options.bytesPerSecond}`);
    this.rate = options.bytesPerSecond;
    this.burst = options.burstBytes ?? Math.max(1, Math.ceil(this.rate * BURST_SECONDS));
    this.sliceBytes = Math.min(MAX_SLICE_BYTES, Math.max(MIN_SLICE_BYTES, this.burst));
    this.now = options.now ?? (() => performance.now());
    this.tokens = this.burst;
    this.last = this.now();
  }

  delayAfter(bytes: number): number {
    const now = this.now();
    this.tokens = Math.min(this.burst, this.tokens + ((now - this.last) * this.rate) / 1000);
    this.last = now;
    this.tokens -= bytes;
    if (this.tokens >= 0) return 0;
    return Math.max(MIN_WAIT_MS, Math.ceil((-this.tokens / this.rate) * 1000));
  }
}

/** A fresh limiter for one direction of one connection; `0` means unlimited. */
export function throttleFor(bytesPerSecond: number): Throttle {
  return bytesPerSecond > 0 ? new TokenBucket({ bytesPerSecond }) : unthrottled;
}
