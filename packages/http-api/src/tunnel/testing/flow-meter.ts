/**
 * Measuring tools for the rate, backpressure and memory tests of tunnels and host ports
 * (test-only; nothing in the package imports this). Rates are measured from when bytes
 * arrive, never assumed from how long a test slept.
 */
import type { Socket } from 'node:net';
import WebSocket from 'ws';

/** Cumulative bytes over time, as seen by a receiver. */
export class ByteMeter {
  private readonly times: number[] = [];
  private readonly totals: number[] = [];
  private total = 0;

  add(bytes: number): void {
    this.total += bytes;
    this.times.push(performance.now());
    this.totals.push(this.total);
  }

  get bytes(): number {
    return this.total;
  }

  /** When the first byte came (performance.now() ms), or undefined. */
  get firstAt(): number | undefined {
    return this.times[0];
  }

  /** How many bytes arrived in [from, to) (performance.now() ms). */
  between(from: number, to: number): number {
    return this.totalAt(to) - this.totalAt(from);
  }

  /** Bytes per second over [from, from + ms). */
  rate(from: number, ms: number): number {
    return (this.between(from, from + ms) * 1000) / ms;
  }

  /** The most bytes that arrived within any `ms` window starting at or after `from`. */
  maxInWindow(ms: number, from = 0): number {
    let most = 0;
    for (let i = 0; i < this.times.length; i += 1) {
      const start = this.times[i] as number;
      if (start < from) continue;
      // Bytes of arrival i and everything up to start + ms.
      most = Math.max(most, this.totalAt(start + ms) - (this.totals[i - 1] ?? 0));
    }
    return most;
  }

  /** Resolves once `ms` have passed since the first byte (or rejects after `limitMs`). */
  async runFor(ms: number, limitMs: number): Promise<number> {
    const deadline = performance.now() + limitMs;
    for (;;) {
      const first = this.firstAt;
      if (first !== undefined && performance.now() >= first + ms) return first;
      if (performance.now() > deadline) throw new Error(`no ${ms} ms of flow within ${limitMs} ms (got ${this.total} bytes)`);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }

  /** Cumulative bytes that had arrived strictly before time t. */
  private totalAt(t: number): number {
    let low = 0;
    let high = this.times.length;
    while (low < high) {
      const mid = (low + high) >> 1;
      if ((this.times[mid] as number) < t) low = mid + 1;
      else high = mid;
    }
    return low === 0 ? 0 : (this.totals[low - 1] as number);
  }
}

/**
 * Writes `chunk` to a socket for as long as `more()` says, never faster than the socket
 * takes it (so the writer itself holds no more than one chunk). Resolves when stopped.
 */
export function pumpSocket(socket: Socket, chunk: Buffer, more: () => boolean, onWritten?: (bytes: number) => void): Promise<void> {
  return new Promise((resolve) => {
    const pump = (): void => {
      while (more() && !socket.destroyed && socket.writable) {
        onWritten?.(chunk.length);
        if (!socket.write(chunk)) {
          socket.once('drain', pump);
          return;
        }
      }
      resolve();
    };
    socket.once('close', () => resolve());
    pump();
  });
}

/**
 * Sends `chunk` as WebSocket messages while `more()` says, keeping `inFlight` messages
 * between us and the socket: the next goes when the socket took one. (bufferedAmount
 * alone would not tell: Node flushes a backlog in one writev.)
 */
export function pumpWebSocket(ws: WebSocket, chunk: Buffer, more: () => boolean, inFlight = 4, onAccepted?: (bytes: number) => void): void {
  const sendNext = (): void => {
    if (!more() || ws.readyState !== WebSocket.OPEN) return;
    ws.send(chunk, (error) => {
      if (error !== undefined && error !== null) return;
      onAccepted?.(chunk.length);
      sendNext();
    });
  };
  for (let i = 0; i < inFlight; i += 1) sendNext();
}

/** Resolves with read()'s value once it has not changed for `quietMs` (a flow stalled). */
export async function settled(read: () => number, quietMs: number, limitMs: number): Promise<number> {
  let last = read();
  let since = Date.now();
  const deadline = Date.now() + limitMs;
  while (Date.now() - since < quietMs) {
    if (Date.now() > deadline) throw new Error(`still moving after ${limitMs} ms (at ${last})`);
    await new Promise((resolve) => setTimeout(resolve, 50));
    const now = read();
    if (now !== last) {
      last = now;
      since = Date.now();
    }
  }
  return last;
}

/** Memory held in Buffers (external + array buffers) right now, in bytes. */
export function bufferMemory(): number {
  return process.memoryUsage().arrayBuffers;
}

export const MiB = 1024 * 1024;
