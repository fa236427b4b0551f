import { ServerResponse, type IncomingMessage, type RequestListener } from 'node:http';
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import express, { type Express } from 'express';
import { DomainErrors, type ForwardEvent, type ForwardService } from '@porthole/core';
import { authenticateRequest } from './auth/authenticate-request';
import type { Authenticator } from './auth/authenticator';
import { ConnectionRegistry } from './connections/connection-registry';
import { expressErrorHandler } from './errors/express-error-handler';
import { HttpErrors } from './errors/http-error';
import { answerClientError, rejectUpgrade, sendError } from './errors/send-error';
import { DEFAULT_HTTP_LIMITS, type HttpLimits } from './limits';
import { silentLogger, type Logger } from './logger';
import { auditEntryOf, loggerAuditSink, type AuditSink } from './audit/audit-log';
import { BrowserSessions } from './browser/browser-sessions';
import { CustomDomainRoutes, hostName } from './browser/custom-domain-routes';
import { forwardIdFromHost } from './browser/preview-host';
import { ForwardProxy, previewTarget } from './proxy/forward-proxy';
import { parseProxyUrl, underBasePath } from './proxy/proxy-path';
import { ProxyAccess } from './proxy/proxy-access';
import { declaredBodyTooLarge } from './request-body';
import { withinBasePath } from './base-path';
import { PublicUrls } from './public-urls';
import { requestIdOf } from './request-id';
import { settleRequestTarget } from './request-target';
import { healthRouter } from './rest/health.router';
import { forwardsRouter } from './rest/forwards.router';
import { TunnelServer } from './tunnel/tunnel-server';

/** Where delivery hears about forwards being removed, to close their connections. */
export interface ForwardEventSource {
  subscribe(listener: (event: ForwardEvent) => void): () => void;
}

export interface PortholeHttpOptions {
  readonly forwards: ForwardService;
  readonly authenticator: Authenticator;
  /** Resolves when the container runtime answers; backs `GET /readyz`. */
  readonly readiness: () => Promise<void>;
  readonly forwardEvents: ForwardEventSource;
  /** Base of every link handed out (`proxy_url`, `websocket_url`). */
  readonly publicUrl: string;
  readonly logger?: Logger;
  readonly limits?: Partial<HttpLimits>;
  readonly browser?: Partial<BrowserOptions>;
  /**
   * Path every route is served under, e.g. `/porthole` when a platform mounts Porthole
   * below its own routes (createPorthole takes it from publicUrl). Default '': the root.
   */
  readonly basePath?: string;
  /** Where audit records go (README "Audit log"); default: the logger, one line each. */
  readonly audit?: AuditSink;
}

/** How browsers reach forwards (README "Browsers"). */
export interface BrowserOptions {
  /**
   * Subdomain mode: `<forward-label>.<previewDomain>` serves the forward at its root, and
   * `proxy_url` takes that form. Undefined: path mode only.
   */
  readonly previewDomain: string | undefined;
  /** How long a browser session lasts (default 24 h). */
  readonly sessionTtlMs: number;
  /** How long a link from `POST .../links` can be opened (default 5 minutes); once. */
  readonly linkTtlMs: number;
}

export const DEFAULT_BROWSER_OPTIONS: BrowserOptions = {
  previewDomain: undefined,
  sessionTtlMs: 24 * 60 * 60 * 1000,
  linkTtlMs: 5 * 60 * 1000,
};

export interface PortholeHttp {
  /** Express app with the REST API and health routes (not the proxy fast path). */
  readonly app: Express;
  /** The request listener for `http.createServer`: proxy paths first, then the app. */
  readonly handleRequest: RequestListener;
  /**
   * For the server's `checkContinue` event (`Expect: 100-continue`): a body we would
   * refuse by its declared size gets the refusal instead of "100 Continue"; any other
   * request is told to go on and is then handled as usual.
   */
  readonly handleCheckContinue: RequestListener;
  /** For the server's `upgrade` event: tunnels and proxied WebSockets. */
  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void;
  /** For the server's `clientError` event: a JSON 400/431 instead of a bare status. */
  handleClientError(error: NodeJS.ErrnoException, socket: Duplex): void;
  /** For the server's `connect` event: CONNECT is refused with 405. */
  handleConnect(req: IncomingMessage, socket: Duplex): void;
  readonly connections: ConnectionRegistry;
  /** Which forward answers on which custom domain; seed it with the forwards restored at start-up. */
  readonly customDomains: CustomDomainRoutes;
  /** Closes every tunnel (1001 "going away") and proxied connection; stops listening to events. */
  shutdown(): void;
}

const TUNNEL_PATH = /^\/ws\/port-forward\/([^/?#]+)\/?(?:\?.*)?$/;

function isWebSocketUpgrade(req: IncomingMessage): boolean {
  return req.headers.upgrade?.trim().toLowerCase() === 'websocket';
}

/**
 * Node hands every request with an Upgrade header to the 'upgrade' event, including
 * `Upgrade: h2c`, which `curl --http2` sends on plain http://. A server may ignore an
 * upgrade it does not support (RFC 9110 §7.8), so such a request is served as ordinary
 * HTTP/1.1 on the raw socket, then the connection closes. Node has already taken the
 * body off the parser by then, so only bodiless requests can be served this way.
 */
function serveIgnoringUpgrade(req: IncomingMessage, socket: Duplex, handleRequest: RequestListener, logger: Logger): void {
  const declared = req.headers['content-length'];
  if (req.headers['transfer-encoding'] !== undefined || (declared !== undefined && declared !== '0')) {
    rejectUpgrade(
      socket,
      DomainErrors.invalidRequest(`Upgrade: ${req.headers.upgrade ?? ''} is not supported with a request body; send the request without it.`),
      logger,
      requestIdOf(req),
    );
    return;
  }
  delete req.headers.upgrade;
  delete req.headers['http2-settings'];
  req.headers.connection = 'close';
  const res = new ServerResponse(req);
  res.shouldKeepAlive = false;
  res.assignSocket(socket as Socket);
  res.once('finish', () => {
    res.detachSocket(socket as Socket);
    socket.end();
  });
  handleRequest(req, res);
}

/**
 * One access-log line per request, with the request id that the layers below log too.
 * The query is left out: it may carry credentials. Proxied requests log at debug, since
 * an app behind the proxy can make thousands a second; the API logs at info.
 */
function logWhenDone(req: IncomingMessage, res: ServerResponse, logger: Logger, proxied: boolean): void {
  const started = performance.now();
  // Captured now: Express rewrites req.url inside routers.
  const path = (req.url ?? '/').split('?')[0];
  res.once('close', () => {
    const entry = {
      requestId: requestIdOf(req),
      method: req.method,
      path,
      status: res.statusCode,
      ms: Math.round(performance.now() - started),
      ...(res.writableFinished ? {} : { aborted: true }),
    };
    if (proxied) logger.debug(entry, 'proxied request');
    else logger.info(entry, 'request');
  });
}

/**
 * Builds every inbound adapter over one ForwardService. The server (or a platform that
 * embeds Porthole) owns the `http.Server` and passes requests and upgrades in.
 */
export function createPortholeHttp(options: PortholeHttpOptions): PortholeHttp {
  const logger = options.logger ?? silentLogger;
  const limits: HttpLimits = { ...DEFAULT_HTTP_LIMITS, ...options.limits };
  const browser: BrowserOptions = { ...DEFAULT_BROWSER_OPTIONS, ...options.browser };
  const urls = new PublicUrls(options.publicUrl, browser.previewDomain);
  const sessions = new BrowserSessions(browser);
  const connections = new ConnectionRegistry();
  const audit = options.audit ?? loggerAuditSink(logger);
  const customDomains = new CustomDomainRoutes();
  const deps = { forwards: options.forwards, authenticator: options.authenticator, connections, logger, limits, audit };
  const access = new ProxyAccess({ forwards: options.forwards, authenticator: options.authenticator, sessions, secure: urls.isSecure, audit });
  const proxy = new ForwardProxy({ ...deps, access, publicScheme: urls.isSecure ? 'https:' : 'http:' });
  const tunnel = new TunnelServer(deps);

  const basePath = options.basePath ?? '';
  // `/p/...` under the base path, with the prefix the browser sees; undefined otherwise.
  const proxyTargetOf = (url: string) => {
    const local = withinBasePath(url, basePath);
    const target = local === undefined ? undefined : parseProxyUrl(local);
    return target === undefined || target.kind === 'no_match' ? undefined : underBasePath(target, basePath);
  };
  // The forward a request is for: on its own host (its preview host in subdomain mode, or
  // its custom domain, named by that host in errors) or under `/p/`; undefined for
  // Porthole's own routes.
  const forwardTargetOf = (req: IncomingMessage) => {
    const url = req.url ?? '/';
    const preview = forwardIdFromHost(req.headers.host, browser.previewDomain);
    if (preview !== undefined) return previewTarget(preview, url);
    const byDomain = customDomains.forwardFor(req.headers.host);
    if (byDomain !== undefined) return previewTarget(byDomain, url, hostName(req.headers.host ?? ''));
    return proxyTargetOf(url);
  };

  const unsubscribe = options.forwardEvents.subscribe((event) => {
    audit(auditEntryOf(event));
    customDomains.apply(event);
    if (event.type !== 'forward_removed') return;
    sessions.forgetForward(event.forward.id);
    const closed = connections.closeForward(event.forward.id, 'forward_removed');
    if (closed > 0) logger.info({ forwardId: event.forward.id, closed, reason: event.reason }, 'closed live connections of a removed forward');
  });

  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);
  app.use(healthRouter(options.readiness));
  app.use('/api', forwardsRouter({ forwards: options.forwards, authenticator: options.authenticator, urls, sessions, logger, limits, audit }));
  // The tunnel URL only speaks WebSocket; say so rather than "no such route".
  app.all(TUNNEL_PATH, (req, res) =>
    sendError(req, res, DomainErrors.invalidRequest(`${req.path} is a WebSocket tunnel: connect to it with a WebSocket client.`), logger),
  );
  // A browser that wandered off a forward's prefix (an app's root-absolute link in path
  // mode) gets a page, not JSON.
  app.use((req, res) => sendError(req, res, HttpErrors.routeNotFound(req.method, req.path), logger, { html: true }));
  // Without this, an error thrown by Express itself (a URL it cannot decode) would get
  // its default HTML page with a stack trace.
  app.use(expressErrorHandler(logger));
  // Under a base path the routes above see the rest of the path, and `req.baseUrl` (the
  // Location of a created forward) carries the base.
  const served = basePath === '' ? app : express().disable('x-powered-by').use(basePath, app);

  const handleRequest: RequestListener = (req: IncomingMessage, res: ServerResponse) => {
    const refused = settleRequestTarget(req);
    if (refused !== undefined) {
      logWhenDone(req, res, logger, false);
      sendError(req, res, refused, logger, { requestId: requestIdOf(req) });
      return;
    }
    const url = req.url ?? '/';
    const target = forwardTargetOf(req);
    logWhenDone(req, res, logger, target !== undefined);
    if (target !== undefined) {
      proxy.handleRequest(req, res, target);
      return;
    }
    res.setHeader('x-request-id', requestIdOf(req));
    if (withinBasePath(url, basePath) === undefined) {
      sendError(req, res, HttpErrors.routeNotFound(req.method ?? 'GET', url.split('?')[0] ?? url), logger, { html: true });
      return;
    }
    served(req, res);
  };

  // "100 Continue" invites the body; a stranger or an oversized body gets the refusal
  // first. The handlers below check both again, so this only decides when to say go on.
  const handleCheckContinue: RequestListener = (req: IncomingMessage, res: ServerResponse) => {
    // A forward on its own host (preview host, custom domain) takes proxy-sized bodies too.
    settleRequestTarget(req); // a refusal is handleRequest's to send
    const limit = forwardTargetOf(req) !== undefined ? limits.proxyMaxBytes : limits.apiMaxBytes;
    authenticateRequest(req, options.authenticator, { allowSubprotocol: false }).then(
      () => {
        if (!declaredBodyTooLarge(req, limit) && !res.headersSent) res.writeContinue();
        handleRequest(req, res);
      },
      () => handleRequest(req, res),
    );
  };

  const handleUpgrade = (req: IncomingMessage, socket: Duplex, head: Buffer): void => {
    // A client reset during the handshake must not become an unhandled 'error'.
    socket.on('error', (error) => logger.debug({ err: error, requestId: requestIdOf(req) }, 'upgrade socket error'));
    const refused = settleRequestTarget(req);
    if (refused !== undefined) {
      rejectUpgrade(socket, refused, logger, requestIdOf(req));
      return;
    }
    const url = req.url ?? '/';
    const local = withinBasePath(url, basePath);
    const target = forwardTargetOf(req);
    if (!isWebSocketUpgrade(req)) {
      serveIgnoringUpgrade(req, socket, handleRequest, logger);
    } else if (target !== undefined) {
      proxy.handleUpgrade(req, socket, head, target);
    } else if (local !== undefined && TUNNEL_PATH.test(local)) {
      // The tunnel reads its forward id from req.url; no link of its depends on the base.
      req.url = local;
      tunnel.handleUpgrade(req, socket, head);
    } else {
      rejectUpgrade(socket, HttpErrors.routeNotFound('GET', url.split('?')[0] ?? url), logger, requestIdOf(req));
    }
  };

  return {
    app,
    handleRequest,
    handleCheckContinue,
    handleUpgrade,
    handleClientError: (error, socket) => answerClientError(error, socket, logger),
    handleConnect: (req, socket) => {
      socket.on('error', () => undefined);
      rejectUpgrade(socket, HttpErrors.connectNotSupported(), logger, requestIdOf(req));
    },
    connections,
    customDomains,
    shutdown: () => {
      unsubscribe();
      tunnel.close();
      connections.closeAll('shutdown');
      proxy.close();
    },
  };
}
