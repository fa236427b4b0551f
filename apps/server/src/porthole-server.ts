import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { ContainerRuntime } from '@porthole/core';
import type { Logger } from 'pino';
import { generateAdminToken } from './admin-token';
import type { PortholeConfig } from './config';
import { buildContainer } from './container';
import { selectRuntime } from './runtime-selection';
import { TOKENS } from './tokens';

export interface RunningPorthole {
  readonly server: Server;
  /** Where it listens, e.g. http://127.0.0.1:8080. */
  readonly url: string;
  readonly publicUrl: string;
  readonly adminToken: string;
  readonly adminTokenGenerated: boolean;
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
}

function hostForUrl(address: AddressInfo): string {
  if (address.address === '0.0.0.0' || address.address === '::') return 'localhost';
  return address.family === 'IPv6' ? `[${address.address}]` : address.address;
}

/** Builds everything, listens, and starts following container lifecycles. */
export async function startPorthole(config: PortholeConfig, options: StartOptions): Promise<RunningPorthole> {
  const { logger } = options;
  const runtime = options.runtime ?? (await selectRuntime(config, logger, options.env));
  const adminTokenGenerated = config.adminToken === undefined;
  const adminToken = config.adminToken ?? generateAdminToken();

  // requestTimeout 0: uploads and streamed responses may legitimately take hours.
  // headersTimeout: a client gets 20 s to send its headers (slowloris), checked every 5 s.
  const server = createServer({
    requestTimeout: 0,
    headersTimeout: 20_000,
    connectionsCheckingInterval: 5_000,
    keepAliveTimeout: 65_000,
  });
  server.listen(config.port, config.host);
  await Promise.race([
    once(server, 'listening'),
    once(server, 'error').then(([error]) => {
      throw error;
    }),
  ]);
  const address = server.address() as AddressInfo;
  const url = `http://${hostForUrl(address)}:${address.port}`;
  // Links are built from the public URL, which defaults to where we actually listen (so
  // port 0 works); the wiring therefore happens after listen, before any I/O turn.
  const publicUrl = config.publicUrl ?? url;
  const container = buildContainer({ config: { ...config, publicUrl }, logger, runtime, adminToken });
  const porthole = container.get(TOKENS.Porthole);
  const { http } = porthole;
  server.on('request', http.handleRequest);
  server.on('checkContinue', http.handleCheckContinue);
  server.on('upgrade', http.handleUpgrade);
  // Malformed HTTP from a client: answered in the JSON shape, never a crash.
  server.on('clientError', http.handleClientError);
  server.on('connect', http.handleConnect);
  porthole.start();

  let closing: Promise<void> | undefined;
  const close = (graceMs = 4000): Promise<void> => {
    closing ??= (async () => {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      void porthole.close();
      server.closeIdleConnections();
      const timer = setTimeout(() => server.closeAllConnections(), graceMs);
      await closed;
      clearTimeout(timer);
    })();
    return closing;
  };

  return { server, url, publicUrl, adminToken, adminTokenGenerated, close };
}
