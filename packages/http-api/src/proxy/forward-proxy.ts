import { request as httpRequest, type ClientRequest, type IncomingMessage, type RequestOptions, type ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import HttpProxy from 'http-proxy';
import { DomainErrors, type ForwardService, type PortForward } from '@porthole/core';
import { takeCredentialQuery } from '../browser/credential-query';
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
import { fromOwnOrigin, isSafeMethod } from './origin-check';
import type { ProxyAccess } from './proxy-access';
import { UPSTREAM_HOOK, UpstreamPool, type UpstreamHook } from './upstream-pool';

export interface ForwardProxyDeps {
  readonly forwards: ForwardService;
  readonly access: ProxyAccess;
  /** `https:` when PORTHOLE_PUBLIC_URL is https (X-Forwarded-Proto, the Origin check). */
  readonly publicScheme: string;
  readonly connections: ConnectionRegistry;
  readonly logger: Logger;
  readonly limits: HttpLimits;
}

type Routed = Exclude<ProxyTarget, { kind: 'no_match' }>;

/**
 * A request on a forward's own host (subdomain mode, a custom domain): the whole target
 * goes to the app. `shownAs`: the host, when it does not carry the forward id.
 */
export function previewTarget(forwardId: string, rawUrl: string, shownAs?: string): Routed {
  return { kind: 'forward', forwardId, prefix: '', upstreamUrl: rawUrl, ...(shownAs === undefined ? {} : { shownAs }) };
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
 * then stream to the container port over a per-forward pooled agent: Node's HTTP client
 * for plain requests, http-proxy for WebSocket upgrades.
 */
export class ForwardProxy {
  private readonly proxy: HttpProxy;
  private readonly pool: UpstreamPool;
  private closed = false;

  constructor(private readonly deps: ForwardProxyDeps) {
    this.pool = new UpstreamPool(deps);
    // Only WebSocket upgrades go through http-proxy (plain requests: sendUpstream).
    // `toProxy` skips its url.parse of req.url: the path is pinned anyway (see outgoingBase).
    this.proxy = HttpProxy.createProxyServer({ xfwd: false, changeOrigin: false, toProxy: true });
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
    // The body stays unread (the stream is paused) until sendUpstream starts the
    // exchange's body relay.
    const query = takeCredentialQuery(target.upstreamUrl);
    if (query.token !== undefined || query.link !== undefined) {
      closeIfBodyUnread(req, res);
      await this.deps.access.exchange(req, res, target, query);
      return;
    }
    const { forward, via } = await this.deps.access.authorize(req, target);
    // A page of another origin could otherwise post to the app with the browser's session
    // (CSRF); sibling forwards in subdomain mode are the same site, so SameSite is no help.
    if (via === 'cookie' && !isSafeMethod(req.method) && !fromOwnOrigin(req.headers, this.deps.publicScheme)) {
      throw HttpErrors.originNotAllowed(req.headers.origin ?? req.headers['sec-fetch-site'] ?? 'another origin');
    }
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
    prepareUpstreamHeaders(req.headers, clientConnectionOf(req, target.prefix, this.deps.publicScheme), { keepAuthorization: via === 'cookie' });
    this.sendUpstream(req, forward, target.upstreamUrl, exchange);
  }

  /**
   * The request to the app, made with Node's own client over the forward's agent. Plain
   * requests do not go through http-proxy: its `web` path parses and re-joins the URL
   * (merging `//`), adds `Content-Length: 0` to bodiless DELETE and OPTIONS, and costs
   * CPU per request for options we do not use; the answer is ours to relay anyway
   * (HttpExchange). WebSocket upgrades still use http-proxy's `ws`.
   */
  private sendUpstream(req: IncomingMessage, forward: PortForward, path: string, exchange: HttpExchange): void {
    const fail = (error: Error & { code?: string }) => exchange.fail(upstreamFailure(error, forward), error);
    let proxyReq: ClientRequest;
    try {
      proxyReq = httpRequest({
        method: req.method,
        path,
        headers: req.headers,
        agent: this.pool.agentFor(forward),
        // The client's Host (or none) goes on as it came, inside `headers`.
        setHost: false,
        // Runs inside the constructor, before any event: see UPSTREAM_HOOK.
        [UPSTREAM_HOOK]: (request: ClientRequest) => exchange.attach(request),
      } as RequestOptions);
    } catch (error) {
      fail(error as Error);
      return;
    }
    proxyReq.on('error', fail);
    req.on('error', fail);
    const body = exchange.body;
    if (body === undefined) proxyReq.end();
    else body.pipe(proxyReq);
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
    if (via === 'cookie' && !fromOwnOrigin(req.headers, this.deps.publicScheme)) {
      throw HttpErrors.originNotAllowed(req.headers.origin ?? req.headers['sec-fetch-site'] ?? 'another origin');
    }
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

    prepareUpstreamHeaders(req.headers, clientConnectionOf(req, target.prefix, this.deps.publicScheme), { keepAuthorization: via === 'cookie' });
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
