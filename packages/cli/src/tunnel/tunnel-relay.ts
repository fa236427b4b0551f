import type { Readable, Writable } from 'node:stream';
import WebSocket, { type RawData } from 'ws';
import type { TunnelSettings } from '../cli-context';
import { toBuffer, type OpenTunnel } from './open-tunnel';

/**
 * Porthole closes a tunnel whose messages exceed 1 MiB (1009). A byte stream can be cut
 * anywhere, and smaller messages keep the server's per-tunnel memory low.
 */
export const MAX_MESSAGE_BYTES = 256 * 1024;
// Local reading pauses while this much is queued toward the server, and resumes below
// the low mark: a fast local writer cannot grow our memory when the server reads slowly.
const HIGH_WATER_BYTES = 1024 * 1024;
const LOW_WATER_BYTES = 256 * 1024;
/** Two unanswered pings: the server or the path to it is gone. */
const MAX_MISSED_PONGS = 2;

export interface RelayEnd {
  /** The WebSocket close code (1006 when the connection dropped without one). */
  readonly code: number;
  readonly reason: string;
  /** Who ended it: this side (local EOF, Ctrl-C, a dead server) or the server. */
  readonly closedBy: 'client' | 'server';
  /** The server stopped answering pings and the tunnel was cut. */
  readonly lostServer: boolean;
}

export interface LocalEnds {
  /** Bytes to send into the tunnel (a socket, or stdin). */
  readonly input: Readable;
  /** Where the tunnel's bytes go (the same socket, or stdout). */
  readonly output: Writable;
  /** End `output` when the tunnel closes (a socket: yes; the process's stdout: no). */
  readonly endOutput: boolean;
}

/**
 * Bridges one open tunnel and one local byte stream: binary messages of at most
 * MAX_MESSAGE_BYTES, backpressure both ways, pings to keep an idle tunnel alive (the
 * server's idle timer counts client pings) and to notice a dead server.
 */
export class TunnelRelay {
  /** Resolves once the WebSocket has closed, however that happened. */
  readonly ended: Promise<RelayEnd>;
  private readonly ws: WebSocket;
  private readonly heartbeat: NodeJS.Timeout | undefined;
  private missedPongs = 0;
  private inputPaused = false;
  private closedBy: RelayEnd['closedBy'] = 'server';
  private lostServer = false;
  private closeTimer: NodeJS.Timeout | undefined;

  constructor(
    tunnel: OpenTunnel,
    private readonly local: LocalEnds,
    private readonly settings: TunnelSettings,
  ) {
    this.ws = tunnel.ws;
    const { input, output } = local;
    this.ended = new Promise((resolve) =>
      this.ws.once('close', (code: number, reason: Buffer) => {
        this.finish();
        resolve({ code, reason: reason.toString('utf8'), closedBy: this.closedBy, lostServer: this.lostServer });
      }),
    );
    this.ws.on('error', () => undefined); // the close that follows says how it ended
    this.ws.on('pong', () => (this.missedPongs = 0));
    this.ws.on('message', (data: RawData) => this.toLocal(toBuffer(data)));
    for (const message of tunnel.takeEarlyMessages()) this.toLocal(message);
    output.on('drain', () => this.ws.resume());
    output.on('error', () => this.close(1000, 'local end closed'));

    input.on('data', (chunk: Buffer | string) => this.toTunnel(typeof chunk === 'string' ? Buffer.from(chunk) : chunk));
    // The local side is done sending. WebSocket has no half-close, so the tunnel closes;
    // the close frame queues behind every data frame already sent, so nothing is lost.
    input.once('end', () => this.close(1000, 'client finished sending'));
    input.once('error', () => this.close(1000, 'local connection failed'));
    input.once('close', () => this.close(1000, 'local connection closed'));
    input.resume();

    if (settings.pingIntervalMs > 0) {
      this.heartbeat = setInterval(() => this.beat(), settings.pingIntervalMs);
      this.heartbeat.unref();
    }
  }

  /** Closes the tunnel cleanly; cut after `closeTimeoutMs` if the server does not answer. */
  close(code = 1000, reason = 'client closed'): void {
    if (this.ws.readyState === WebSocket.CLOSED || this.closeTimer !== undefined) return;
    this.closedBy = 'client';
    this.ws.resume(); // a paused WebSocket would never read the server's closing frame
    this.ws.close(code, reason);
    this.closeTimer = setTimeout(() => this.ws.terminate(), this.settings.closeTimeoutMs);
    this.closeTimer.unref();
  }

  private toTunnel(chunk: Buffer): void {
    if (this.ws.readyState !== WebSocket.OPEN) return;
    for (let offset = 0; offset < chunk.length; offset += MAX_MESSAGE_BYTES) {
      this.ws.send(chunk.subarray(offset, offset + MAX_MESSAGE_BYTES), { binary: true }, () => this.sent());
    }
    if (this.ws.bufferedAmount >= HIGH_WATER_BYTES && !this.inputPaused) {
      this.inputPaused = true;
      this.local.input.pause();
    }
  }

  private sent(): void {
    if (this.inputPaused && this.ws.bufferedAmount <= LOW_WATER_BYTES) {
      this.inputPaused = false;
      this.local.input.resume();
    }
  }

  private toLocal(data: Buffer): void {
    if (this.local.output.writableEnded || this.local.output.destroyed) return;
    // ws.pause() stops reading the server's socket; messages already parsed still come,
    // a bounded amount, and are written too.
    if (!this.local.output.write(data)) this.ws.pause();
  }

  private beat(): void {
    if (this.missedPongs >= MAX_MISSED_PONGS) {
      this.closedBy = 'client';
      this.lostServer = true;
      this.ws.terminate();
      return;
    }
    this.missedPongs += 1;
    this.ws.ping();
  }

  private finish(): void {
    if (this.heartbeat !== undefined) clearInterval(this.heartbeat);
    if (this.closeTimer !== undefined) clearTimeout(this.closeTimer);
    this.local.input.pause();
    // Our FIN goes after every byte the tunnel delivered; then the socket is done with.
    if (this.local.endOutput && !this.local.output.writableEnded) this.local.output.end(() => this.local.input.destroy());
  }
}
