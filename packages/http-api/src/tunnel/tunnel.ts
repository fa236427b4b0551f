import type { Duplex } from 'node:stream';
import WebSocket, { type RawData } from 'ws';
import type { Logger } from '../logger';
import { TunnelClose, type TunnelCloseKind } from './close-codes';
import { PauseGate, unthrottled, type Throttle } from './pause-gate';

export interface TunnelOptions {
  /** Close after this long with no data either way and no client ping. */
  readonly idleTimeoutMs: number;
  /** Ping the client this often; two unanswered pings end the tunnel. */
  readonly pingIntervalMs: number;
  /** Paces container → client; unthrottled unless given. */
  readonly toClient?: Throttle;
  /** Paces client → container; unthrottled unless given. */
  readonly toUpstream?: Throttle;
}

export interface TunnelEvents {
  /** The tunnel is over (the WebSocket closed); called once. */
  onEnd(): void;
  readonly logger: Logger;
  readonly context: object;
}

// The container socket is paused while this much is queued toward the client, and
// resumed once the queue is below the low mark: memory per tunnel stays bounded when the
// client reads slower than the container writes.
const CLIENT_HIGH_WATER_BYTES = 1024 * 1024;
const CLIENT_LOW_WATER_BYTES = 256 * 1024;
// A client that does not answer our close frame is cut after this (ws waits 30 s).
const CLOSE_HANDSHAKE_TIMEOUT_MS = 2_000;
// After the client left cleanly, the container gets this long to close its side.
const UPSTREAM_LINGER_MS = 10_000;

function toBuffer(data: RawData): Buffer {
  if (Buffer.isBuffer(data)) return data;
  if (Array.isArray(data)) return Buffer.concat(data);
  return Buffer.from(data);
}

/**
 * One WebSocket bridged to one container socket: bytes both ways as binary frames (text
 * frames pass on as their UTF-8 bytes), with backpressure both ways, an idle timer and a
 * ping/pong heartbeat.
 */
export class Tunnel {
  private readonly upstreamGate: PauseGate;
  private readonly clientGate: PauseGate;
  private readonly toClient: Throttle;
  private readonly toUpstream: Throttle;
  private readonly idleTimer: NodeJS.Timeout;
  private readonly heartbeat: NodeJS.Timeout;
  private readonly timers = new Set<NodeJS.Timeout>();
  private unansweredPings = 0;
  /** No more bytes are passed on; the close is under way. */
  private closing = false;
  private finished = false;
  private clientFailed = false;

  constructor(
    private readonly ws: WebSocket,
    private readonly upstream: Duplex,
    options: TunnelOptions,
    private readonly events: TunnelEvents,
  ) {
    this.upstreamGate = new PauseGate(upstream);
    this.clientGate = new PauseGate(ws);
    this.toClient = options.toClient ?? unthrottled;
    this.toUpstream = options.toUpstream ?? unthrottled;
    this.idleTimer = setTimeout(() => this.close('idleTimeout'), options.idleTimeoutMs);
    this.heartbeat = setInterval(() => this.beat(), options.pingIntervalMs);
    // Timers never keep the process alive: the server and its sockets do.
    this.idleTimer.unref();
    this.heartbeat.unref();

    ws.binaryType = 'nodebuffer';
    upstream.on('data', (chunk: Buffer) => this.fromUpstream(chunk));
    upstream.on('drain', () => this.clientGate.release('backpressure'));
    upstream.on('end', () => this.close('upstreamClosed'));
    upstream.on('error', (error: NodeJS.ErrnoException) => {
      this.events.logger.debug({ ...this.events.context, err: error }, 'tunnel upstream error');
      this.close('upstreamError', error.code);
    });
    upstream.on('close', () => this.close('upstreamClosed'));

    ws.on('message', (data: RawData) => this.fromClient(toBuffer(data)));
    // ws answers pings by itself; a client ping is a sign of life, a pong is only an
    // answer to ours and must not keep an idle tunnel open.
    ws.on('ping', () => this.idleTimer.refresh());
    ws.on('pong', () => {
      this.unansweredPings = 0;
    });
    ws.on('error', (error: Error) => {
      // Bad frames or a reset; ws closes the connection itself after this.
      this.clientFailed = true;
      this.events.logger.debug({ ...this.events.context, err: error }, 'tunnel client error');
    });
    ws.on('close', (code: number) => this.finish(code));
  }

  /** Closes the tunnel with the given code and reason (see close-codes.ts). */
  close(kind: TunnelCloseKind, detail?: string): void {
    if (this.closing) return;
    this.closing = true;
    this.stopTimers();
    const { code, reason } = TunnelClose[kind];
    // A paused WebSocket would never read the client's answering close frame.
    this.clientGate.release('backpressure');
    this.clientGate.release('throttle');
    if (this.ws.readyState === WebSocket.OPEN) {
      this.ws.close(code, detail === undefined ? reason : `${reason}: ${detail}`.slice(0, 120));
      this.later(CLOSE_HANDSHAKE_TIMEOUT_MS, () => this.ws.terminate());
    }
    if (kind === 'forwardRemoved') {
      this.upstream.destroy();
      return;
    }
    // Keep reading (and dropping) so the container's FIN is seen and the socket closes.
    this.upstreamGate.release('backpressure');
    this.upstreamGate.release('throttle');
    if (kind !== 'upstreamClosed' && kind !== 'upstreamError') this.upstream.end();
  }

  private fromUpstream(chunk: Buffer): void {
    if (this.closing) return;
    this.idleTimer.refresh();
    this.ws.send(chunk, { binary: true }, (error) => {
      if (error === undefined || error === null) {
        if (this.ws.bufferedAmount <= CLIENT_LOW_WATER_BYTES) this.upstreamGate.release('backpressure');
      }
    });
    if (this.ws.bufferedAmount >= CLIENT_HIGH_WATER_BYTES) this.upstreamGate.hold('backpressure');
    this.pace(this.upstreamGate, this.toClient, chunk.length);
  }

  private fromClient(bytes: Buffer): void {
    if (this.closing || !this.upstream.writable) return;
    this.idleTimer.refresh();
    // ws.pause() stops reading the client's socket; messages it already parsed still
    // arrive, a bounded amount, and are written too.
    if (!this.upstream.write(bytes)) this.clientGate.hold('backpressure');
    this.pace(this.clientGate, this.toUpstream, bytes.length);
  }

  // The seam of the per-tunnel rate limit: a Throttle says how long the source waits.
  private pace(gate: PauseGate, throttle: Throttle, bytes: number): void {
    const wait = throttle.delayAfter(bytes);
    if (wait <= 0 || gate.isHeld('throttle')) return;
    gate.hold('throttle');
    this.later(wait, () => gate.release('throttle'));
  }

  private beat(): void {
    if (this.unansweredPings >= 2) {
      this.events.logger.debug(this.events.context, 'tunnel client missed two pongs');
      this.clientFailed = true;
      this.ws.terminate();
      return;
    }
    this.unansweredPings += 1;
    this.ws.ping();
  }

  private finish(code: number): void {
    if (this.finished) return;
    this.finished = true;
    this.closing = true;
    this.stopTimers();
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
    // 1006: no close frame, the client vanished or was cut; nothing is owed to anyone.
    if (this.clientFailed || code === 1006) {
      this.upstream.destroy();
    } else if (!this.upstream.destroyed) {
      this.upstream.end();
      this.upstream.resume();
      const linger = setTimeout(() => this.upstream.destroy(), UPSTREAM_LINGER_MS);
      linger.unref();
      this.upstream.once('close', () => clearTimeout(linger));
    }
    this.events.onEnd();
  }

  private later(ms: number, action: () => void): void {
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      action();
    }, ms);
    timer.unref();
    this.timers.add(timer);
  }

  private stopTimers(): void {
    clearTimeout(this.idleTimer);
    clearInterval(this.heartbeat);
  }
}
