import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import type { Logger } from '../logger';
import { Pacer } from '../tunnel/pacer';
import { PauseGate } from '../tunnel/pause-gate';
import { throttleFor } from '../tunnel/token-bucket';

/** The limits of one host-port connection: the same as a tunnel's. */
export interface HostPortLimits {
  /** Bytes per second per connection and direction; 0 = unlimited. */
  readonly bytesPerSecond: number;
  /** No byte either way for this long ends both sides with a FIN. */
  readonly idleTimeoutMs: number;
}

export interface RelayEvents {
  readonly logger: Logger;
  readonly context: object;
}

// After an idle FIN, each side gets this long to close its own before it is cut.
const IDLE_LINGER_MS = 10_000;

/**
 * One host-port connection relayed to one container connection, byte for byte, with
 * half-close kept both ways (a FIN is passed on after the bytes before it), a rate limit
 * per direction and backpressure both ways (both by pausing the side that sends), and an
 * idle timeout that ends both sides with a FIN. An error on either side cuts both: there
 * is no one to report it to.
 */
export class HostPortRelay {
  private readonly toUpstream: Pacer;
  private readonly toClient: Pacer;
  private readonly idleTimer: NodeJS.Timeout;
  private lingerTimer: NodeJS.Timeout | undefined;
  private idled = false;

  constructor(
    private readonly client: Socket,
    private readonly upstream: Duplex,
    limits: HostPortLimits,
    private readonly events: RelayEvents,
  ) {
    // We pass each FIN on ourselves, after the bytes before it; Node must not end the
    // writable side on its own when the readable side ends (net sockets do by default).
    upstream.allowHalfOpen = true;
    const clientGate = new PauseGate(client);
    const upstreamGate = new PauseGate(upstream);
    this.toUpstream = new Pacer(clientGate, throttleFor(limits.bytesPerSecond), (bytes) => upstream.write(bytes));
    this.toClient = new Pacer(upstreamGate, throttleFor(limits.bytesPerSecond), (bytes) => client.write(bytes));
    this.idleTimer = setTimeout(() => this.idle(limits.idleTimeoutMs), limits.idleTimeoutMs);
    this.idleTimer.unref();

    client.on('data', (chunk: Buffer) => this.carry(this.toUpstream, chunk));
    upstream.on('data', (chunk: Buffer) => this.carry(this.toClient, chunk));
    client.on('drain', () => this.toClient.drained());
    upstream.on('drain', () => this.toUpstream.drained());
    client.on('end', () => this.toUpstream.flush(() => endWritable(upstream)));
    upstream.on('end', () => this.toClient.flush(() => endWritable(client)));
    client.on('error', (error) => this.cut('client', error));
    upstream.on('error', (error) => this.cut('upstream', error));
    client.once('close', () => {
      // Nobody is left to read the container's answer. The container has its FIN (after
      // the client's last bytes) or gets it now, and a while to close its side.
      this.toClient.stop();
      this.toUpstream.flush(() => endWritable(upstream));
      this.lingerThenCut();
      this.settle();
    });
    upstream.once('close', () => {
      // The container's last bytes still go out, then the client's side ends too.
      this.toClient.flush(() => endWritable(client));
      this.settle();
    });
    // pauseOnConnect held what the client sent before the container answered; it comes
    // now, first and in order.
    client.resume();
  }

  private carry(pacer: Pacer, chunk: Buffer): void {
    // After an idle timeout both sides were ended: anything more is read and dropped.
    if (this.idled) return;
    this.idleTimer.refresh();
    pacer.push(chunk);
  }

  private idle(timeoutMs: number): void {
    this.events.logger.debug({ ...this.events.context, timeoutMs }, 'host port connection idle: ending both sides');
    this.idled = true;
    // Nothing waits in the pacers (no bytes moved for a while), and both sources must
    // flow so that each side's FIN is seen and the sockets close.
    this.toUpstream.stop();
    this.toClient.stop();
    endWritable(this.client);
    endWritable(this.upstream);
    this.lingerThenCut();
  }

  /** Sockets that do not close their side within IDLE_LINGER_MS of ours are cut. */
  private lingerThenCut(): void {
    if (this.lingerTimer !== undefined) return;
    this.lingerTimer = setTimeout(() => {
      this.client.destroy();
      this.upstream.destroy();
    }, IDLE_LINGER_MS);
    this.lingerTimer.unref();
  }

  private cut(side: string, error: Error): void {
    this.events.logger.debug({ ...this.events.context, err: error, side }, 'host port connection error');
    this.client.destroy();
    this.upstream.destroy();
  }

  /** Once both sockets are closed, no timer is left behind. */
  private settle(): void {
    if (!this.client.destroyed || !this.upstream.destroyed) return;
    this.toUpstream.stop();
    this.toClient.stop();
    clearTimeout(this.idleTimer);
    clearTimeout(this.lingerTimer);
  }
}

function endWritable(socket: Duplex): void {
  if (!socket.writableEnded && !socket.destroyed) socket.end();
}
