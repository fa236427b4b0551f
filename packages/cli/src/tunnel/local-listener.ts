import { once } from 'node:events';
import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import type { Writable } from 'node:stream';
import { ApiError } from '../api/api-error';
import { CliError } from '../cli-error';
import type { TunnelSettings } from '../cli-context';
import { openTunnel } from './open-tunnel';
import type { TunnelTarget } from './tunnel-target';
import { describeTunnelEnd } from './tunnel-end';
import { TunnelRelay } from './tunnel-relay';

/**
 * The tunnel will never open, for this or any later connection: no valid credential, or
 * no such forward (404). Anything else (the app not listening yet, a paused container,
 * Porthole restarting) may pass, so the listener keeps going.
 */
function isPermanent(error: unknown): error is ApiError {
  return error instanceof ApiError && (error.status === 401 || error.status === 404);
}

/**
 * A local TCP listener that opens one tunnel per accepted connection, like
 * `kubectl port-forward`. Problems are reported as lines on `log`; a permanent refusal
 * ends it through `failed`.
 */
export class LocalListener {
  /** Rejects with the refusal that makes every further connection pointless. */
  readonly failed: Promise<never>;
  private readonly server: Server;
  private readonly relays = new Set<TunnelRelay>();
  private readonly sockets = new Set<Socket>();
  private readonly opening = new AbortController();
  private fail: (error: CliError) => void = () => undefined;

  constructor(
    private readonly target: TunnelTarget,
    private readonly settings: TunnelSettings,
    private readonly log: Writable,
  ) {
    this.failed = new Promise<never>((_resolve, reject) => (this.fail = reject));
    this.failed.catch(() => undefined); // observed by whoever races it; never unhandled
    // pauseOnConnect: bytes the local client sends at once wait in the socket until the
    // tunnel is open; allowHalfOpen: its FIN must not close our side before the tunnel did.
    this.server = createServer({ pauseOnConnect: true, allowHalfOpen: true }, (socket) => void this.accept(socket));
  }

  /** Listens; resolves with the address actually bound (port 0 picks a free one). */
  async listen(port: number, host: string): Promise<AddressInfo> {
    this.server.listen(port, host);
    try {
      await Promise.race([once(this.server, 'listening'), once(this.server, 'error').then(([error]) => Promise.reject(error))]);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code ?? (error as Error).message;
      const reasons: Record<string, string> = { EADDRINUSE: 'the port is in use', EACCES: 'permission denied', EADDRNOTAVAIL: 'no such local address' };
      throw new CliError(`cannot listen on ${host}:${port}: ${reasons[code] ?? code}`);
    }
    this.server.on('error', (error) => this.fail(new CliError(`the local listener failed: ${error.message}`)));
    return this.server.address() as AddressInfo;
  }

  /** Stops accepting, closes every tunnel with 1000 and waits until they are closed. */
  async stop(): Promise<void> {
    this.server.close();
    this.opening.abort();
    const ended = [...this.relays].map((relay) => {
      relay.close(1000, 'porthole connect stopped');
      return relay.ended;
    });
    await Promise.all(ended);
    for (const socket of this.sockets) socket.destroy();
  }

  private async accept(socket: Socket): Promise<void> {
    this.sockets.add(socket);
    socket.once('close', () => this.sockets.delete(socket));
    socket.on('error', () => undefined); // a reset local client; the relay sees the close
    let tunnel;
    try {
      tunnel = await openTunnel(this.target.url, this.target.token, this.opening.signal);
    } catch (error) {
      socket.destroy();
      if (this.opening.signal.aborted) return;
      if (isPermanent(error)) this.fail(error);
      else this.log.write(`porthole: ${error instanceof Error ? error.message : String(error)}\n`);
      return;
    }
    if (socket.destroyed || this.opening.signal.aborted) {
      tunnel.ws.close(1000, 'local connection closed');
      return;
    }
    const relay = new TunnelRelay(tunnel, { input: socket, output: socket, endOutput: true }, this.settings);
    this.relays.add(relay);
    const end = await relay.ended;
    this.relays.delete(relay);
    const line = describeTunnelEnd(end);
    if (line !== undefined) this.log.write(`porthole: ${line}\n`);
  }
}
