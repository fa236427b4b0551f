import { once } from 'node:events';
import { createServer, type Server, type Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import {
  DomainErrors,
  RangePortAllocator,
  type ForwardId,
  type ForwardService,
  type LocalPortAllocator,
  type PortNumber,
  type PortRange,
  type Principal,
} from '@porthole/core';
import { DEFAULT_HTTP_LIMITS } from '../limits';
import type { Logger } from '../logger';
import { HostPortRelay, type HostPortLimits } from './host-port-relay';

export interface HostPortOptions {
  readonly range: PortRange;
  /** Address the listeners bind to; loopback by default, since they carry no credential. */
  readonly bind: string;
  readonly logger: Logger;
  /**
   * Rate per direction and idle timeout of every connection: the tunnel's limits
   * (`tunnelBytesPerSecond`, `tunnelIdleTimeoutMs`), which are also the defaults.
   */
  readonly limits?: Partial<HostPortLimits>;
}

/**
 * Host-port connections carry no credential: whoever can reach the bind address may use
 * them, which is why it is loopback unless the operator says otherwise.
 */
const HOST_PORT_PRINCIPAL: Principal = { id: 'host-port', role: 'admin' };

interface Listener {
  readonly server: Server;
  readonly sockets: Set<Duplex>;
}

/**
 * The `local_port` of every forward, as a real TCP listener: each accepted connection is
 * relayed to the container port through the core (see HostPortRelay: half-close kept, the
 * tunnel's rate limit and idle timeout, backpressure both ways). Reserving a port opens its
 * listener; releasing it closes the listener and every connection through it, which is
 * how a removed forward loses its host-port connections.
 */
export class HostPortListeners implements LocalPortAllocator {
  private readonly book: RangePortAllocator;
  private readonly limits: HostPortLimits;
  private readonly listeners = new Map<number, Listener>();
  private forwards: ForwardService | undefined;
  private closed = false;

  constructor(private readonly options: HostPortOptions) {
    this.book = new RangePortAllocator(options.range);
    this.limits = {
      bytesPerSecond: options.limits?.bytesPerSecond ?? DEFAULT_HTTP_LIMITS.tunnelBytesPerSecond,
      idleTimeoutMs: options.limits?.idleTimeoutMs ?? DEFAULT_HTTP_LIMITS.tunnelIdleTimeoutMs,
    };
  }

  /**
   * The service that resolves and dials forwards. Given after construction because the
   * service itself needs this allocator.
   */
  attach(forwards: ForwardService): void {
    this.forwards = forwards;
  }

  async reserve(forwardId: ForwardId, requested: PortNumber | undefined): Promise<PortNumber> {
    // An automatic pick goes round the whole range once before giving up: another program
    // (a second Porthole on the default range, say) may hold a long run of its ports. The
    // book hands out ports in turn, so each try is a new port.
    const rangeSize = this.options.range.last - this.options.range.first + 1;
    for (let skipped = 1; ; skipped += 1) {
      const port = this.book.reserveSync(requested);
      try {
        await this.listen(port, forwardId);
        return port;
      } catch (error) {
        await this.book.release(port);
        const code = (error as NodeJS.ErrnoException).code;
        if (code !== 'EADDRINUSE' && code !== 'EACCES') throw error;
        if (requested !== undefined) {
          throw DomainErrors.localPortUnavailable(`local_port ${port} is already in use on the Porthole host.`);
        }
        if (skipped >= rangeSize) {
          throw DomainErrors.localPortUnavailable('No free local port was found: the range is busy with other programs.');
        }
        this.options.logger.debug({ port }, 'local port busy with another program; trying the next');
      }
    }
  }

  /**
   * Reopens the listener of a forward loaded from storage, on its own port. When another
   * program took the port meanwhile, the port stays booked for the forward (no other
   * forward is handed it) and the call rejects with local_port_unavailable.
   */
  async restore(forwardId: ForwardId, port: PortNumber): Promise<void> {
    this.book.restoreSync(port);
    try {
      await this.listen(port, forwardId);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code !== 'EADDRINUSE' && code !== 'EACCES') throw error;
      throw DomainErrors.localPortUnavailable(`local_port ${port} could not be reopened: ${code === 'EACCES' ? 'not allowed' : 'another program listens on it'}.`);
    }
  }

  async release(port: PortNumber): Promise<void> {
    const listener = this.listeners.get(port);
    this.listeners.delete(port);
    await this.book.release(port);
    if (listener === undefined) return;
    for (const socket of listener.sockets) socket.destroy();
    await new Promise<void>((resolve) => listener.server.close(() => resolve()));
  }

  /** Closes every listener and connection (shutdown). */
  async closeAll(): Promise<void> {
    this.closed = true;
    await Promise.all([...this.listeners.keys()].map((port) => this.release(port as PortNumber)));
  }

  /** Open connections through host ports, for tests and metrics. */
  connectionCount(): number {
    let count = 0;
    for (const listener of this.listeners.values()) count += listener.sockets.size;
    return count;
  }

  private async listen(port: number, forwardId: ForwardId): Promise<void> {
    // allowHalfOpen: a client's FIN must not end our side, the reply may still come.
    // pauseOnConnect: bytes sent before the container answers wait, in order.
    const sockets = new Set<Duplex>();
    const server = createServer({ allowHalfOpen: true, pauseOnConnect: true }, (client) =>
      this.relay(forwardId, client, sockets),
    );
    server.listen({ port, host: this.options.bind, exclusive: true });
    await Promise.race([
      once(server, 'listening'),
      once(server, 'error').then(([error]) => {
        throw error;
      }),
    ]);
    server.on('error', (error) => this.options.logger.warn({ err: error, port }, 'host port listener error'));
    if (this.closed) {
      server.close();
      throw DomainErrors.localPortUnavailable('Porthole is shutting down.');
    }
    this.listeners.set(port, { server, sockets });
  }

  private relay(forwardId: ForwardId, client: Socket, sockets: Set<Duplex>): void {
    sockets.add(client);
    client.once('close', () => sockets.delete(client));
    client.on('error', () => client.destroy());
    client.setNoDelay(true);
    const forwards = this.forwards;
    if (forwards === undefined) {
      client.destroy();
      return;
    }
    forwards
      .resolveForward(HOST_PORT_PRINCIPAL, forwardId)
      .then((forward) => forwards.connect(forward))
      .then(
        (upstream) => {
          if (client.destroyed) {
            upstream.destroy();
            return;
          }
          sockets.add(upstream);
          upstream.once('close', () => sockets.delete(upstream));
          // The relay lives as long as the sockets' listeners hold it; release() and
          // closeAll() end it by destroying both sockets, tracked above.
          new HostPortRelay(client, upstream, this.limits, { logger: this.options.logger, context: { forwardId } });
        },
        (error: unknown) => {
          this.options.logger.debug({ err: error, forwardId }, 'host port connection refused');
          client.destroy();
        },
      );
  }
}
