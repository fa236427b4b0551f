import type { Duplex } from 'node:stream';
import WebSocket, { type RawData } from 'ws';
import type { Logger } from '../logger';
import { TunnelClose, type TunnelCloseKind } from './close-codes';
import { Pacer } from './pacer';
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
// client reads slower than the container writes. Pings go out behind at most this much.
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
  /** Container → client bytes. */
  private readonly toClient: Pacer;
  /** Client → container bytes. */
  private readonly toUpstream: Pacer;
  private readonly idleTimer: NodeJS.Timeout;
  private readonly heartbeat: NodeJS.Timeout;
  private readonly timers = new Set<NodeJS.Timeout>();
  private unansweredPings = 0;
  /** Any frame from the client since the last heartbeat. */
  private heardFromClient = false;
  /** The container's FIN came; its last bytes are on their way, then the close. */
  private upstreamEnding = false;
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
    this.toClient = new Pacer(this.upstreamGate, options.toClient ?? unthrottled, (bytes) => this.sendToClient(bytes));
    this.toUpstream = new Pacer(this.clientGate, options.toUpstream ?? unthrottled, (bytes) =>
      // A container socket that already ended cannot take more; the client learns from the close.
      this.upstream.writable ? this.upstream.write(bytes) : true,
    );
    this.idleTimer = setTimeout(() => this.close('idleTimeout'), options.idleTimeoutMs);
    this.heartbeat = setInterval(() => this.beat(), options.pingIntervalMs);
    // Timers never keep the process alive: the server and its sockets do.
    this.idleTimer.unref();
    this.heartbeat.unref();

    ws.binaryType = 'nodebuffer';
    upstream.on('data', (chunk: Buffer) => this.fromUpstream(chunk));
    upstream.on('drain', () => this.toUpstream.drained());
    upstream.on('end', () => this.upstreamEnded());
    upstream.on('error', (error: NodeJS.ErrnoException) => {
      this.events.logger.debug({ ...this.events.context, err: error }, 'tunnel upstream error');
      this.close('upstreamError', error.code);
    });
    // Without an error, 'close' is an end too (sockets that do not allow half-open
    // close both ways at once); the bytes already read still go out first.
    upstream.on('close', () => this.upstreamEnded());

    ws.on('message', (data: RawData) => this.fromClient(toBuffer(data)));
    // ws answers pings by itself; a client ping is a sign of life, a pong is only an
    // answer to ours and must not keep an idle tunnel open.
    ws.on('ping', () => {
      this.heardFromClient = true;
      this.idleTimer.refresh();
    });
    ws.on('pong', () => {
      this.heardFromClient = true;
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
    // Stopping the pacers drops bytes still waiting for their turn and lets both sources
    // go: a paused WebSocket would never read the client's answering close frame, and a
    // paused container socket would never show us its FIN.
    this.toClient.stop();
    this.toUpstream.stop();
    if (this.ws.readyState === WebSocket.OPEN) {
      this.ws.close(code, detail === undefined ? reason : `${reason}: ${detail}`.slice(0, 120));
      this.later(CLOSE_HANDSHAKE_TIMEOUT_MS, () => this.ws.terminate());
    }
    if (kind === 'forwardRemoved') {
      this.upstream.destroy();
      return;
    }
    // What still comes from the container is read and dropped until its FIN.
    if (kind !== 'upstreamClosed' && kind !== 'upstreamError') this.upstream.end();
  }

  private fromUpstream(chunk: Buffer): void {
    if (this.closing) return;
    this.idleTimer.refresh();
    this.toClient.push(chunk);
  }

  private fromClient(bytes: Buffer): void {
    this.heardFromClient = true;
    if (this.closing || this.upstreamEnding || !this.upstream.writable) return;
    this.idleTimer.refresh();
    // ws.pause() stops reading the client's socket; messages it already parsed still
    // arrive, a bounded amount, and wait in the pacer.
    this.toUpstream.push(bytes);
  }

  private sendToClient(bytes: Buffer): boolean {
    this.ws.send(bytes, { binary: true }, (error) => {
      if (error === undefined || error === null) {
        if (this.ws.bufferedAmount <= CLIENT_LOW_WATER_BYTES) this.toClient.drained();
      }
    });
    return this.ws.bufferedAmount < CLIENT_HIGH_WATER_BYTES;
  }

  private upstreamEnded(): void {
    if (this.closing || this.upstreamEnding) return;
    this.upstreamEnding = true;
    // The close frame goes after the container's last bytes, which may still be paced.
    this.toClient.flush(() => this.close('upstreamClosed'));
  }

  private beat(): void {
    // Any frame from the client proves it alive. And while we hold the client back (its
    // rate limit, or a container that is not reading) we are not reading its socket, so
    // its pong may sit in TCP behind data we have not taken yet: that silence is ours and
    // does not count as a missed pong.
    if (this.heardFromClient || this.clientGate.isHeld()) this.unansweredPings = 0;
    this.heardFromClient = false;
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
    this.toClient.stop();
    // 1006: no close frame, the client vanished or was cut; nothing is owed to anyone.
    if (this.clientFailed || code === 1006) {
      this.toUpstream.stop();
      this.upstream.destroy();
    } else if (!this.upstream.destroyed) {
      // A WebSocket has no half-close: the client is gone, so the container gets what the
      // client sent before its close, then a FIN; its answer, if any, is read and dropped.
      this.toUpstream.flush(() => this.upstream.end());
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
