import { once } from 'node:events';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { ContainerRuntime, ForwardStore, RestoreReport } from '@porthole/core';
import type { Logger } from 'pino';
import { generateAdminToken } from './admin-token';
import type { PortholeConfig } from './config';
import { buildContainer } from './container';
import { openForwardStore, type OpenedStore } from './forward-store';
import { selectRuntime } from './runtime-selection';
import { TOKENS } from './tokens';

/** The health probes' paths, which answer while start-up is still checking stored forwards. */
const PROBE = /^\/(?:healthz|readyz)(?:\?|$)/;

export interface RunningPorthole {
  readonly server: Server;
  /** Where it listens, e.g. http://127.0.0.1:8080. */
  readonly url: string;
  readonly publicUrl: string;
  readonly adminToken: string;
  readonly adminTokenGenerated: boolean;
  /** Where forwards are kept: the database file, `:memory:`, or `given` (StartOptions.store). */
  readonly store: string;
  /**
   * Stops accepting, closes tunnels with 1001 and proxied connections, and resolves when
   * every socket is gone or after `graceMs`, whichever comes first.
   */
  close(graceMs?: number): Promise<void>;
}

export interface StartOptions {
  readonly logger: Logger;
  /** Overrides runtime selection (tests, embedding). */
  readonly runtime?: ContainerRuntime;
  /** Where runtime selection reads KUBECONFIG and friends; default process.env. */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** Overrides PORTHOLE_DATA_DIR's store (tests, embedding); the caller closes it. */
  readonly store?: ForwardStore;
}

/** What start-up made of the stored forwards: a line per removed one, saying why. */
function logRestore(report: RestoreReport, logger: Logger, location: string): void {
  for (const { forward, reason } of report.removed) {
    logger.info({ forwardId: forward.id, containerId: forward.containerId, containerPort: forward.containerPort, reason }, `removed a stored forward at start-up: ${reason}`);
  }
  for (const { forward, message } of report.portsNotReopened) {
    logger.warn({ forwardId: forward.id, localPort: forward.localPort }, `kept a stored forward without its host port: ${message}`);
  }
  for (const { forward, message } of report.domainsCleared) {
    logger.warn({ forwardId: forward.id }, `kept a stored forward without its custom domain: ${message}`);
  }
  logger.info({ store: location, kept: report.kept.length, removed: report.removed.length }, 'forwards restored');
}

function hostForUrl(address: AddressInfo): string {
  if (address.address === '0.0.0.0' || address.address === '::') return 'localhost';
  return address.family === 'IPv6' ? `[${address.address}]` : address.address;
}

/** Builds everything, listens, and starts following container lifecycles. */
export async function startPorthole(config: PortholeConfig, options: StartOptions): Promise<RunningPorthole> {
  const { logger } = options;
  // The store first: a data directory Porthole cannot use is the quicker thing to report.
  const opened: OpenedStore =
    options.store === undefined ? openForwardStore(config.dataDir) : { store: options.store, location: 'given', close: () => undefined };
  let runtime: ContainerRuntime;
  try {
    runtime = options.runtime ?? (await selectRuntime(config, logger, options.env));
  } catch (error) {
    opened.close();
    throw error;
  }
  const adminTokenGenerated = config.adminToken === undefined;
  const adminToken = config.adminToken ?? generateAdminToken();

  // requestTimeout 0: uploads and streamed responses may legitimately take hours.
  // headersTimeout: a client gets 20 s to send its headers (slowloris), checked every 5 s.
  const server = createServer({
    requestTimeout: 0,
    headersTimeout: 20_000,
    connectionsCheckingInterval: 5_000,
    keepAliveTimeout: 65_000,
    // A missing Host is refused by Porthole (settleRequestTarget) in the JSON shape,
    // rather than by Node with a bare 400.
    requireHostHeader: false,
  });
  server.listen(config.port, config.host);
  try {
    await Promise.race([
      once(server, 'listening'),
      once(server, 'error').then(([error]) => {
        throw error;
      }),
    ]);
  } catch (error) {
    opened.close();
    throw error;
  }
  const address = server.address() as AddressInfo;
  const url = `http://${hostForUrl(address)}:${address.port}`;
  // Links are built from the public URL, which defaults to where we actually listen (so
  // port 0 works); the wiring therefore happens after listen, before any I/O turn.
  const publicUrl = config.publicUrl ?? url;
  const container = buildContainer({ config: { ...config, publicUrl }, logger, runtime, adminToken, store: opened.store });
  const porthole = container.get(TOKENS.Porthole);
  const { http } = porthole;
  // Requests that arrive while stored forwards are being checked wait for it (a stale
  // forward must not be served, a restored host port must be open), then go on as usual.
  let restored = false;
  const restoring = porthole.start().then((report) => logRestore(report, logger, opened.location));
  const whenRestored =
    <A extends unknown[]>(handle: (...args: A) => void) =>
    (...args: A): void => {
      if (restored) handle(...args);
      else void restoring.then(() => handle(...args), () => undefined);
    };
  // The probes answer at once: `/healthz` says the process lives however long start-up
  // takes (a liveness probe must not restart it for a slow runtime), `/readyz` says it is
  // not ready yet.
  const waitingRequest = whenRestored(http.handleRequest);
  server.on('request', (req: IncomingMessage, res: ServerResponse) =>
    PROBE.test(req.url ?? '') ? http.handleRequest(req, res) : waitingRequest(req, res),
  );
  server.on('checkContinue', whenRestored(http.handleCheckContinue));
  server.on('upgrade', whenRestored(http.handleUpgrade));
  // Malformed HTTP from a client: answered in the JSON shape, never a crash.
  server.on('clientError', http.handleClientError);
  server.on('connect', http.handleConnect);
  try {
    await restoring;
  } catch (error) {
    server.close();
    server.closeAllConnections();
    await porthole.close();
    opened.close();
    throw error;
  }
  restored = true;

  let closing: Promise<void> | undefined;
  const close = (graceMs = 4000): Promise<void> => {
    closing ??= (async () => {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      // Settles once lifecycle work already under way is done: the store closes after it.
      const portholeClosed = porthole.close();
      server.closeIdleConnections();
      const timer = setTimeout(() => server.closeAllConnections(), graceMs);
      await closed;
      clearTimeout(timer);
      await portholeClosed;
      opened.close();
    })();
    return closing;
  };

  return { server, url, publicUrl, adminToken, adminTokenGenerated, store: opened.location, close };
}
