import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';
import { DomainErrors, type ForwardService, type PortForward } from '@porthole/core';
import type { AuditSink } from '../audit/audit-log';
import { authenticateRequest } from '../auth/authenticate-request';
import type { Authenticator } from '../auth/authenticator';
import type { ConnectionRegistry } from '../connections/connection-registry';
import { HttpErrors } from '../errors/http-error';
import { rejectUpgrade } from '../errors/send-error';
import type { HttpLimits } from '../limits';
import type { Logger } from '../logger';
import { requestIdOf } from '../request-id';
import { throttleFor } from './token-bucket';
import { Tunnel } from './tunnel';

export interface TunnelServerDeps {
  readonly forwards: ForwardService;
  readonly authenticator: Authenticator;
  readonly connections: ConnectionRegistry;
  readonly logger: Logger;
  readonly limits: HttpLimits;
  readonly audit?: AuditSink;
}

const TUNNEL_URL = /^\/ws\/port-forward\/([^/?#]+)\/?(?:\?[\s\S]*)?$/;

/** The forward id of a tunnel URL, or undefined when the URL is not one. */
export function parseTunnelUrl(rawUrl: string): string | undefined {
  return TUNNEL_URL.exec(rawUrl)?.[1];
}

// ws holds each incoming message whole before we see it, so this is memory a client can
// pin per tunnel by sending one large frame slowly. A byte stream can be cut anywhere
// (clients send socket-sized chunks), so 1 MiB costs nothing and bounds 1,000 tunnels
// to ~1 GB instead of 16 GB. Larger messages close the tunnel with 1009.
export const MAX_MESSAGE_BYTES = 1024 * 1024;

/**
 * Browsers must see one of their offered subprotocols selected, and they offer
 * `['Bearer', token]`: select `Bearer`, never the token. With header auth and no
 * subprotocols, select none (ws does not call this without offered protocols).
 */
export function selectSubprotocol(protocols: Set<string>): string | false {
  for (const protocol of protocols) if (protocol.toLowerCase() === 'bearer') return protocol;
  return false;
}

function isWebSocketHandshake(req: IncomingMessage): boolean {
  return (
    req.method === 'GET' &&
    req.headers.upgrade?.toLowerCase() === 'websocket' &&
    req.headers['sec-websocket-key'] !== undefined
  );
}

/**
 * `GET /ws/port-forward/:forwardId`: a binary WebSocket tunnel to the container port.
 * Authentication, the forward lookup and the dial all happen before the handshake, so
 * every failure is a real HTTP status (401, 404, 502, 503) in the JSON error shape.
 */
export class TunnelServer {
  private readonly wss: WebSocketServer;
  private readonly tunnels = new Set<Tunnel>();
  private closed = false;

  constructor(private readonly deps: TunnelServerDeps) {
    this.wss = new WebSocketServer({
      noServer: true,
      clientTracking: false,
      perMessageDeflate: false,
      maxPayload: MAX_MESSAGE_BYTES,
      handleProtocols: selectSubprotocol,
    });
  }

  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    const requestId = requestIdOf(req);
    if (this.closed) {
      socket.destroy();
      return;
    }
    const forwardId = parseTunnelUrl(req.url ?? '/');
    if (forwardId === undefined) {
      const path = (req.url ?? '/').split('?')[0] ?? '/';
      rejectUpgrade(socket, HttpErrors.routeNotFound(req.method ?? 'GET', path), this.deps.logger, requestId);
      return;
    }
    if (!isWebSocketHandshake(req)) {
      const error = DomainErrors.invalidRequest('This URL only accepts WebSocket upgrades (GET with Upgrade: websocket).');
      rejectUpgrade(socket, error, this.deps.logger, requestId);
      return;
    }
    this.open(req, socket, head, forwardId, requestId).catch((error: unknown) =>
      rejectUpgrade(socket, error, this.deps.logger, requestId),
    );
  }

  /** Closes every tunnel with 1001 "server shutting down"; later upgrades are cut. */
  close(): void {
    this.closed = true;
    for (const tunnel of [...this.tunnels]) tunnel.close('shuttingDown');
    this.wss.close();
  }

  /** How many tunnels are open (for tests and metrics). */
  get size(): number {
    return this.tunnels.size;
  }

  private async open(
    req: IncomingMessage,
    socket: Duplex,
    head: Buffer,
    forwardId: string,
    requestId: string,
  ): Promise<void> {
    const { principal } = await authenticateRequest(req, this.deps.authenticator, {
      allowSubprotocol: true,
      forwardId,
      ...(this.deps.audit === undefined ? {} : { audit: this.deps.audit }),
    });
    const forward = await this.deps.forwards.resolveForward(principal, forwardId);
    const upstream = await this.deps.forwards.connect(forward);
    // Until the tunnel owns it, an error of the container socket must not crash us.
    const onEarlyError = (error: Error) => this.deps.logger.debug({ err: error, requestId }, 'tunnel upstream error before handshake');
    upstream.on('error', onEarlyError);

    if (this.closed || socket.destroyed) {
      upstream.destroy();
      socket.destroy();
      return;
    }
    let upgraded = false;
    this.wss.handleUpgrade(req, socket, head, (ws) => {
      upgraded = true;
      upstream.removeListener('error', onEarlyError);
      this.bridge(ws, upstream, forward, requestId);
    });
    // ws completes or refuses the handshake synchronously; when it refused (a malformed
    // handshake, a client that already hung up), nobody else will close the dialed socket.
    if (!upgraded) upstream.destroy();
  }

  private bridge(ws: WebSocket, upstream: Duplex, forward: PortForward, requestId: string): void {
    const context = { forwardId: forward.id, requestId };
    let untrack: () => void = () => undefined;
    const tunnel = new Tunnel(
      ws,
      upstream,
      {
        idleTimeoutMs: this.deps.limits.tunnelIdleTimeoutMs,
        pingIntervalMs: this.deps.limits.tunnelPingIntervalMs,
        // One bucket per direction: an upload does not eat into the download's rate.
        toClient: throttleFor(this.deps.limits.tunnelBytesPerSecond),
        toUpstream: throttleFor(this.deps.limits.tunnelBytesPerSecond),
      },
      {
        logger: this.deps.logger,
        context,
        onEnd: () => {
          this.tunnels.delete(tunnel);
          untrack();
          this.deps.logger.debug(context, 'tunnel closed');
        },
      },
    );
    this.tunnels.add(tunnel);
    untrack = this.deps.connections.track(forward.id, {
      close: (reason) => tunnel.close(reason === 'shutdown' ? 'shuttingDown' : 'forwardRemoved'),
    });
    this.deps.logger.debug(context, 'tunnel opened');
  }
}
