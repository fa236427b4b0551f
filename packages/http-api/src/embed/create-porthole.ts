import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import {
  CryptoIdGenerator,
  DEFAULT_FORWARD_POLICY,
  DomainErrors,
  ForwardLifecycle,
  ForwardService,
  InProcessEventBus,
  RangePortAllocator,
  systemClock,
  type ContainerRuntime,
  type ForwardPolicy,
  type ForwardStore,
  type LocalPortAllocator,
  type PortRange,
  type RestoreReport,
} from '@porthole/core';
import { createPortholeHttp, DEFAULT_BROWSER_OPTIONS, type ForwardEventSource, type PortholeHttp, type PortholeHttpOptions } from '../app';
import type { Authenticator } from '../auth/authenticator';
import { basePathOf, withinBasePath } from '../base-path';
import { forwardIdFromHost } from '../browser/preview-host';
import { settleRequestTarget } from '../request-target';
import { HostPortListeners } from '../host-ports/host-port-listeners';
import { silentLogger } from '../logger';

/** The `local_port` numbers an embedded Porthole books when given no allocator. */
export const DEFAULT_LOCAL_PORT_RANGE: PortRange = { first: 20000, last: 29999 };

export interface PortholeOptions extends Pick<PortholeHttpOptions, 'logger' | 'limits' | 'browser' | 'audit'> {
  /** Where containers are found and dialed (DockerContainerRuntime, KubernetesContainerRuntime, ...). */
  readonly runtime: ContainerRuntime;
  /** Where forwards live (InMemoryForwardStore, SqliteForwardStore, ...). */
  readonly store: ForwardStore;
  /**
   * The platform's own check: a bearer credential (the `Authorization` header, or the
   * WebSocket subprotocols `['Bearer', credential]`) to a Principal, or null.
   */
  readonly authenticator: Authenticator;
  /**
   * Where browsers and clients reach Porthole, e.g. `https://platform.example/porthole`.
   * `proxy_url` and `websocket_url` are built from it, and its path is where Porthole
   * answers: mount the router with `app.use(porthole.router)` (or at that same path).
   */
  readonly publicUrl: string;
  /**
   * Where Porthole answers, when it is not the public URL's path: apps/server answers at
   * the root ('') whatever PORTHOLE_PUBLIC_URL says, as it always has.
   */
  readonly basePath?: string;
  /**
   * Caps and plans. Porthole's own host names (the public URL's, the preview domain) are
   * added to `reservedDomains` here: no forward may take them as its custom domain.
   */
  readonly policy?: ForwardPolicy;
  /**
   * Hands out `local_port`. Default: a RangePortAllocator over 20000-29999 that only
   * books numbers and opens no TCP listener (what a platform usually wants). Pass a
   * HostPortListeners to get a real listener per forward, as the Porthole server does;
   * it is attached to the forwards and closed by `close()`.
   */
  readonly localPorts?: LocalPortAllocator;
}

/** Express-style middleware: answers Porthole's requests, passes every other one to `next`. */
export type PortholeRouter = (req: IncomingMessage, res: ServerResponse, next: (error?: unknown) => void) => void;

export interface Porthole {
  /**
   * REST API, `/p/` proxy and health probes, for `app.use(porthole.router)`. Mount it
   * before any body parser: the proxy streams request bodies as they come.
   */
  readonly router: PortholeRouter;
  /**
   * For the platform's `server.on('upgrade', ...)`: tunnels and proxied WebSockets.
   * Returns false, touching nothing, for an upgrade that is not Porthole's.
   */
  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): boolean;
  /** The public URL's path ('' at the root): every route of Porthole lives under it. */
  readonly basePath: string;
  /** The use cases, for a platform that creates or lists forwards itself. */
  readonly forwards: ForwardService;
  /** forward_created / forward_removed, for a platform that keeps its own records. */
  readonly events: ForwardEventSource;
  /** The lower-level handlers, for a server that is Porthole alone (apps/server). */
  readonly http: PortholeHttp;
  /**
   * Starts following container lifecycles (a stopped container loses its forwards), then
   * checks the forwards already in the store (a durable store after a restart): those
   * whose container is gone or stopped are removed, the others take back their host port.
   * Serve once it resolves; the report says what was removed and why.
   */
  start(): Promise<RestoreReport>;
  /**
   * Stops following lifecycles, closes tunnels (1001), proxied connections and host-port
   * listeners, and resolves once lifecycle work under way is done (the store may be
   * closed then). The platform's server is the platform's to close.
   */
  close(): Promise<void>;
}

// Porthole's own routes when it shares the root with the platform's; everything else
// goes on to the platform.
const ROOT_ROUTES = /^\/(?:p\/|ws\/port-forward\/|api\/containers(?:[/?]|$)|healthz(?:[/?]|$)|readyz(?:[/?]|$))/;

/**
 * Porthole as a library: one ForwardService over the given runtime and store, with its
 * REST API, proxy and tunnel, for a platform's own Express app and http.Server.
 */
export function createPorthole(options: PortholeOptions): Porthole {
  const logger = options.logger ?? silentLogger;
  const basePath = options.basePath ?? basePathOf(options.publicUrl);
  const previewDomain = options.browser?.previewDomain ?? DEFAULT_BROWSER_OPTIONS.previewDomain;
  const localPorts = options.localPorts ?? new RangePortAllocator(DEFAULT_LOCAL_PORT_RANGE);
  const events = new InProcessEventBus((error) => logger.error({ err: error }, 'forward event listener failed'));
  const forwards = new ForwardService({
    runtime: options.runtime,
    store: options.store,
    localPorts,
    ids: new CryptoIdGenerator(),
    clock: systemClock,
    events,
    policy: {
      ...DEFAULT_FORWARD_POLICY,
      ...options.policy,
      reservedDomains: [
        ...(options.policy?.reservedDomains ?? []),
        new URL(options.publicUrl).hostname,
        ...(previewDomain === undefined ? [] : [previewDomain]),
      ],
    },
  });
  // The listeners relay through the service, which in turn allocates through them.
  if (localPorts instanceof HostPortListeners) localPorts.attach(forwards);
  const lifecycle = new ForwardLifecycle(options.runtime, forwards, ({ msg, level, ...rest }) =>
    level === 'error' ? logger.error(rest, msg) : logger.info(rest, msg),
  );
  let restored = false;
  const http = createPortholeHttp({
    forwards,
    authenticator: options.authenticator,
    // Not ready until the stored forwards are checked (a load balancer waits for it);
    // `/healthz`, the liveness probe, answers throughout.
    readiness: async () => {
      if (!restored) throw DomainErrors.startingUp();
      await options.runtime.ping();
    },
    forwardEvents: events,
    publicUrl: options.publicUrl,
    logger,
    basePath,
    ...(options.limits === undefined ? {} : { limits: options.limits }),
    ...(options.browser === undefined ? {} : { browser: options.browser }),
    ...(options.audit === undefined ? {} : { audit: options.audit }),
  });

  const owns = (req: IncomingMessage, url: string): boolean => {
    if (forwardIdFromHost(req.headers.host, previewDomain) !== undefined) return true;
    if (http.customDomains.forwardFor(req.headers.host) !== undefined) return true;
    const local = withinBasePath(url, basePath);
    if (local === undefined) return false;
    return basePath !== '' || ROOT_ROUTES.test(local);
  };

  const router: PortholeRouter = (req, res, next) => {
    // Express strips the mount path from req.url (into req.baseUrl); Porthole routes on
    // the whole target, whose base path it knows from publicUrl.
    const express = req as { originalUrl?: string; baseUrl?: string };
    const seen = req.url;
    req.url = express.originalUrl ?? req.url ?? '/';
    // A request line in absolute form names its host: routed by that, as handleRequest
    // does (which also refuses several Host headers, if the request is Porthole's).
    settleRequestTarget(req);
    if (!owns(req, req.url)) {
      req.url = seen; // Express puts the mount path back on its own
      next();
      return;
    }
    if (express.baseUrl !== undefined) express.baseUrl = '';
    http.handleRequest(req, res);
  };

  let closing: Promise<void> | undefined;
  return {
    router,
    handleUpgrade: (req, socket, head) => {
      settleRequestTarget(req);
      if (!owns(req, req.url ?? '/')) return false;
      http.handleUpgrade(req, socket, head);
      return true;
    },
    basePath,
    forwards,
    events,
    http,
    start: async () => {
      // Custom domains route from the store's contents on, and follow its events from
      // then: what start-up (or a container stopping meanwhile) removes drops out by its
      // event, rather than a list taken at the end putting back what went in between.
      http.customDomains.seed(await options.store.listAll());
      lifecycle.start();
      const report = await forwards.restore();
      restored = true;
      return report;
    },
    close: () => {
      closing ??= (async () => {
        lifecycle.stop();
        http.shutdown();
        if (localPorts instanceof HostPortListeners) await localPorts.closeAll();
        await lifecycle.idle();
      })();
      return closing;
    },
  };
}
