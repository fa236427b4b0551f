import type { PauseGate, Throttle } from './pause-gate';

/** Passes bytes on; returns false when the sink is full (then `drained()` is owed later). */
export type PacerSink = (bytes: Buffer) => boolean;

/** Why a Pacer holds its source (PauseGate reasons). */
export const HOLD_THROTTLE = 'throttle';
export const HOLD_BACKPRESSURE = 'backpressure';

/**
 * One direction of a relay: bytes from a source (behind a PauseGate) to a sink, at the
 * pace a Throttle sets and no faster than the sink takes them. Rate and backpressure are
 * both enforced by pausing the source, never by dropping bytes: while anything waits
 * here the source is held, so what waits is at most what the source delivered after it
 * was told to pause (one socket read, or one WebSocket message of up to 1 MiB).
 *
 * Only bytes are paced. Control frames (pings, pongs, close) never pass through a Pacer,
 * so they are never queued behind throttled data.
 */
export class Pacer {
  private readonly queue: Buffer[] = [];
  private readonly sliceBytes: number;
  private queued = 0;
  private waiting: NodeJS.Timeout | undefined;
  private full = false;
  private stopped = false;
  private flushed: (() => void) | undefined;

  constructor(
    private readonly gate: PauseGate,
    private readonly throttle: Throttle,
    private readonly sink: PacerSink,
  ) {
    this.sliceBytes = throttle.sliceBytes ?? Number.POSITIVE_INFINITY;
  }

  /** Bytes the source delivered. */
  push(chunk: Buffer): void {
    if (this.stopped || chunk.length === 0) return;
    this.queue.push(chunk);
    this.queued += chunk.length;
    this.pump();
  }

  /** The sink can take more again (a socket's 'drain', a WebSocket send callback). */
  drained(): void {
    if (!this.full) return;
    this.full = false;
    this.pump();
  }

  /**
   * Calls `done` once everything pushed so far has been given to the sink, at once when
   * nothing waits (an end of stream goes after the bytes before it, and no sooner).
   */
  flush(done: () => void): void {
    if (this.stopped) {
      done();
      return;
    }
    this.flushed = done;
    this.pump();
  }

  /** Drops what waits and lets the source go: for closes that deliver nothing more. */
  stop(): void {
    if (this.stopped) return;
    this.stopped = true;
    clearTimeout(this.waiting);
    this.waiting = undefined;
    this.queue.length = 0;
    this.queued = 0;
    this.flushed = undefined;
    this.gate.release(HOLD_THROTTLE);
    this.gate.release(HOLD_BACKPRESSURE);
  }

  /** Bytes held here right now (for tests and metrics). */
  get queuedBytes(): number {
    return this.queued;
  }

  private pump(): void {
    while (!this.stopped && this.queue.length > 0 && !this.full && this.waiting === undefined) {
      const slice = this.take();
      const wait = this.throttle.delayAfter(slice.length);
      if (!this.sink(slice)) this.full = true;
      if (wait > 0) {
        this.waiting = setTimeout(() => {
          this.waiting = undefined;
          this.pump();
        }, wait);
        // Never what keeps a process alive: the sockets do that.
        this.waiting.unref();
      }
    }
    if (this.stopped) return;
    // Whatever the source delivered now would only pile up here.
    setHeld(this.gate, HOLD_THROTTLE, this.waiting !== undefined || (this.queue.length > 0 && !this.full));
    setHeld(this.gate, HOLD_BACKPRESSURE, this.full);
    if (this.flushed !== undefined && this.queue.length === 0) {
      const done = this.flushed;
      this.flushed = undefined;
      done();
    }
  }

  private take(): Buffer {
    const head = this.queue[0] as Buffer;
    if (head.length <= this.sliceBytes) {
      this.queue.shift();
      this.queued -= head.length;
      return head;
    }
    this.queue[0] = head.subarray(this.sliceBytes);
    this.queued -= this.sliceBytes;
    return head.subarray(0, this.sliceBytes);
  }
}

function setHeld(gate: PauseGate, reason: string, held: boolean): void {
  if (held) gate.hold(reason);
  else gate.release(reason);
}
