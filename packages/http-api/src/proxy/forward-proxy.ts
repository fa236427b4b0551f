import type { ClientRequest, IncomingMessage, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import HttpProxy from 'http-proxy';
import { DomainErrors, type ForwardService, type PortForward } from '@porthole/core';
import { takeCredentialQuery } from '../browser/credential-query';
import { withoutSessionCookie } from '../browser/session-cookie';
import type { ConnectionRegistry } from '../connections/connection-registry';
import { HttpErrors } from '../errors/http-error';
import { rejectUpgrade, sendError } from '../errors/send-error';
import type { HttpLimits } from '../limits';
import type { Logger } from '../logger';
import { requestIdOf } from '../request-id';
import { clientConnectionOf, prepareUpstreamHeaders, stripHopByHopHeaders } from './forwarded-headers';
import { HttpExchange } from './http-exchange';
import { parseProxyUrl, type ProxyTarget } from './proxy-path';
import { closeIfBodyUnread, declaredBodyTooLarge } from '../request-body';
import { finishThenDestroy, outgoingBase, redirect, upstreamFailure } from './proxy-support';
import type { ProxyAccess } from './proxy-access';
import { UpstreamPool, type UpstreamHook } from './upstream-pool';

export interface ForwardProxyDeps {
  readonly forwards: ForwardService;
  readonly access: ProxyAccess;
  readonly connections: ConnectionRegistry;
  readonly logger: Logger;
  readonly limits: HttpLimits;
}

type Routed = Exclude<ProxyTarget, { kind: 'no_match' }>;

/** A request on a preview host (subdomain mode): the whole target goes to the app. */
export function previewTarget(forwardId: string, rawUrl: string): Routed {
  return { kind: 'forward', forwardId, prefix: '', upstreamUrl: rawUrl };
}

/**
 * The `Cookie` header the app gets: the client's, without Porthole's session cookie.
 * Node joins repeated Cookie headers into one, and http-proxy sends `req.headers`.
 */
function removeSessionCookie(req: IncomingMessage): void {
  const kept = withoutSessionCookie(req.headers.cookie);
  if (kept === undefined) delete req.headers.cookie;
  else req.headers.cookie = kept;
}

/**
 * Whether a WebSocket handshake comes from a page of the origin it addresses. Browsers
 * always send `Origin` on WebSockets; a client without one is not a browser page, and a
 * cookie it holds was given to it.
 */
function fromOwnOrigin(req: IncomingMessage): boolean {
  const origin = req.headers.origin;
  if (origin === undefined) return true;
  const host = req.headers.host?.toLowerCase();
  try {
    const url = new URL(origin);
    const port = url.port === '' ? '' : `:${url.port}`;
    return host !== undefined && (url.host === host || `${url.hostname}${port}` === host);
  } catch {
    return false; // `null` (sandboxed frames, file:) and anything unparsable
  }
}

/** One proxied WebSocket upgrade while it is in flight (plain requests: HttpExchange). */
interface UpgradeExchange {
  readonly forward: PortForward;
  readonly requestId: string;
  /** The upgrade request to the app, as soon as http-proxy has created it. */
  proxyReq?: ClientRequest;
  /** The app's refusal (a 101 is `upstream` instead). */
  response?: IncomingMessage;
  /** The client's socket. */
  readonly client: Duplex;
  /** The app's side of the upgraded WebSocket. */
  upstream?: Duplex;
  /** Porthole decided how this ends (answered, aborted, closed): later errors are noise. */
  settled: boolean;
}

// http-proxy needs a target, but it is never dialed: every socket comes from the
// forward's agent. `.invalid` cannot resolve, so a bug that bypassed the agent fails.
const UPSTREAM_TARGET = { protocol: 'http:', host: 'forward.porthole.invalid', port: 80 };

/**
 * `ANY /p/:forwardId/*` and its WebSocket upgrades: authenticate, resolve the forward,
 * then stream to the container port through http-proxy and a per-forward pooled agent.
 */
export class ForwardProxy {
  private readonly proxy: HttpProxy;
  private readonly pool: UpstreamPool;
  private closed = false;

  constructor(private readonly deps: ForwardProxyDeps) {
    this.pool = new UpstreamPool(deps);
    // `toProxy` skips http-proxy's url.parse of req.url: the path is pinned anyway
    // (see outgoingBase), and that parse is per-request CPU we do not need.
    // `selfHandleResponse`: http-proxy copies the app's status and headers onto our
    // response unchecked, and Node's refusals then throw inside its pipe, uncaught. The
    // answer is relayed by upstream-response.ts instead (see HttpExchange).
    this.proxy = HttpProxy.createProxyServer({ xfwd: false, changeOrigin: false, toProxy: true, selfHandleResponse: true });
    // Every call passes its own error callback; this catches whatever http-proxy might
    // still emit, so that it never throws for want of a listener.
    this.proxy.on('error', (error: Error) => deps.logger.error({ err: error }, 'unhandled http-proxy error'));
  }

  /** `target`: given for a preview host (subdomain mode); otherwise read from `/p/:id/...`. */
  handleRequest(req: IncomingMessage, res: ServerResponse, given?: Routed): void {
    const requestId = requestIdOf(req);
    // A request pipelined behind one we answered with `Connection: close`, read while the
    // connection lingers (request-body.ts): it can no longer be answered.
    if (this.closed || req.socket.writableEnded) {
      res.destroy();
      return;
    }
    const target = given ?? parseProxyUrl(req.url ?? '/');
    if (target.kind === 'no_match') {
      const path = (req.url ?? '/').split('?')[0] ?? '/';
      sendError(req, res, HttpErrors.routeNotFound(req.method ?? 'GET', path), this.deps.logger, { html: true, requestId });
      return;
    }
    if (target.kind === 'redirect') {
      closeIfBodyUnread(req, res);
      redirect(res, target.location);
      return;
    }
    this.proxyRequest(req, res, target, requestId).catch((error: unknown) => {
      closeIfBodyUnread(req, res);
      sendError(req, res, error, this.deps.logger, { html: true, requestId });
    });
  }

  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer, given?: Routed): void {
    const requestId = requestIdOf(req);
    if (this.closed) {
      socket.destroy();
      return;
    }
    const target = given ?? parseProxyUrl(req.url ?? '/');
    if (target.kind === 'no_match') {
      const path = (req.url ?? '/').split('?')[0] ?? '/';
      rejectUpgrade(socket, HttpErrors.routeNotFound('GET', path), this.deps.logger, requestId);
      return;
    }
    // A WebSocket handshake is a GET (RFC 6455 §4.1); http-proxy destroys the socket of
    // any other method without a word. Nothing has been read or dialed yet.
    if (req.method !== 'GET') {
      const refusal = DomainErrors.invalidRequest(`A WebSocket handshake must be a GET request, not ${req.method ?? 'this'}.`);
      rejectUpgrade(socket, refusal, this.deps.logger, requestId);
      return;
    }
    this.proxyUpgrade(req, socket, head, target, requestId).catch((error: unknown) =>
      rejectUpgrade(socket, error, this.deps.logger, requestId),
    );
  }

  /** Closes every pooled upstream connection; later requests and upgrades are cut. */
  close(): void {
    this.closed = true;
    this.pool.closeAll();
  }

  private async proxyRequest(req: IncomingMessage, res: ServerResponse, target: Routed, requestId: string): Promise<void> {
    // The body stays unread (the stream is paused) until http-proxy starts the exchange's
    // body relay (its `buffer` option).
    const query = takeCredentialQuery(target.upstreamUrl);
    if (query.token !== undefined || query.link !== undefined) {
      closeIfBodyUnread(req, res);
      await this.deps.access.exchange(req, res, target, query);
      return;
    }
    const { forward, via } = await this.deps.access.authorize(req, target);
    if (res.destroyed) return;
    const { proxyMaxBytes } = this.deps.limits;
    if (declaredBodyTooLarge(req, proxyMaxBytes)) {
      closeIfBodyUnread(req, res);
      sendError(req, res, HttpErrors.payloadTooLarge(proxyMaxBytes), this.deps.logger, { html: true, requestId });
      return;
    }

    const exchange = new HttpExchange(req, res, forward, requestId, this.deps, { prefix: target.prefix, clientHost: req.headers.host });
    const untrack = this.deps.connections.track(forward.id, { close: (reason) => exchange.close(reason) });
    res.once('close', () => {
      untrack();
      exchange.finished();
    });

    stripHopByHopHeaders(req.headers);
    removeSessionCookie(req);
    prepareUpstreamHeaders(req.headers, clientConnectionOf(req, target.prefix), { keepAuthorization: via === 'cookie' });
    const options = this.optionsFor(forward, target.upstreamUrl, (proxyReq) => exchange.attach(proxyReq));
    const body = exchange.body;
    this.proxy.web(req, res, body === undefined ? options : { ...options, buffer: body }, (error) =>
      exchange.fail(upstreamFailure(error, forward), error),
    );
  }

  private async proxyUpgrade(
    req: IncomingMessage,
    socket: Duplex,
    head: Buffer,
    target: Routed,
    requestId: string,
  ): Promise<void> {
    const { forward, via } = await this.deps.access.authorize(req, target);
    // A page of another site could otherwise open a WebSocket that rides the browser's
    // session cookie (cross-site WebSocket hijacking). A bearer header is no ambient credential.
    if (via === 'cookie' && !fromOwnOrigin(req)) throw HttpErrors.originNotAllowed(req.headers.origin ?? '');
    if (socket.destroyed) return;
    // Credentials in the address are for navigations (see ProxyAccess.exchange); here they
    // are only taken out, so that they never reach the app.
    const upstreamUrl = takeCredentialQuery(target.upstreamUrl).url;

    const exchange: UpgradeExchange = { forward, requestId, client: socket, settled: false };
    const untrack = this.deps.connections.track(forward.id, {
      // A WebSocket frame cannot be injected safely mid-stream: cut both sides.
      close: () => {
        exchange.settled = true;
        exchange.proxyReq?.destroy();
        exchange.upstream?.destroy();
        socket.destroy();
      },
    });
    socket.once('close', () => {
      untrack();
      exchange.settled = true;
      // http-proxy's pipe passes on a clean end but not a destroy: do it ourselves.
      if (exchange.upstream !== undefined) finishThenDestroy(exchange.upstream);
      else if (exchange.response?.complete !== true) exchange.proxyReq?.destroy();
    });

    removeSessionCookie(req);
    prepareUpstreamHeaders(req.headers, clientConnectionOf(req, target.prefix), { keepAuthorization: via === 'cookie' });
    const hook = (proxyReq: ClientRequest): void => this.watchUpgrade(proxyReq, exchange);
    this.proxy.ws(req, socket, head, this.optionsFor(forward, upstreamUrl, hook), (error) =>
      this.onUpgradeError(error, socket, exchange),
    );
  }

  /** Runs as the upgrade request to the app is created (see UPSTREAM_HOOK). */
  private watchUpgrade(proxyReq: ClientRequest, exchange: UpgradeExchange): void {
    exchange.proxyReq = proxyReq;
    proxyReq.once('response', (response: IncomingMessage) => {
      exchange.response = response;
    });
    proxyReq.once('upgrade', (_response: IncomingMessage, upstream: Duplex) => {
      exchange.upstream = upstream;
      // The app's side is gone: the client gets what is still buffered, then the end
      // (http-proxy's pipe passes on a clean end but not a destroy).
      upstream.once('close', () => {
        finishThenDestroy(exchange.client);
      });
      if (exchange.settled) upstream.destroy();
    });
    if (exchange.settled) proxyReq.destroy();
  }

  private onUpgradeError(error: Error, socket: Duplex, exchange: UpgradeExchange): void {
    // After a 101 or a refusal http-proxy ends the client socket itself.
    if (exchange.settled || exchange.upstream !== undefined || exchange.response !== undefined) {
      this.deps.logger.debug({ err: error, requestId: exchange.requestId }, 'proxied websocket ended with an error');
      return;
    }
    exchange.settled = true;
    exchange.proxyReq?.destroy();
    rejectUpgrade(socket, upstreamFailure(error, exchange.forward), this.deps.logger, exchange.requestId);
  }

  private optionsFor(forward: PortForward, upstreamUrl: string, hook: UpstreamHook): HttpProxy.ServerOptions {
    return {
      target: UPSTREAM_TARGET,
      agent: this.pool.agentFor(forward),
      ssl: outgoingBase(upstreamUrl, hook),
    };
  }
}
