import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  CryptoIdGenerator,
  ForwardLifecycle,
  ForwardService,
  InMemoryForwardStore,
  InProcessEventBus,
  RangePortAllocator,
  systemClock,
  type PortForward,
  type Principal,
} from '@porthole/core';
import { FakeContainerRuntime } from '@porthole/core/testing';
import { createPortholeHttp, type BrowserOptions, type PortholeHttp } from '../app';
import { StaticTokenAuthenticator } from '../auth/static-token-authenticator';
import type { HttpLimits } from '../limits';
import { RecordingLogger } from './recording-logger';

export const ADMIN_TOKEN = 'test-admin-token-0123456789';
export const ALICE_TOKEN = 'test-alice-token-0123456789';
export const ADMIN: Principal = { id: 'admin', role: 'admin' };
/** Alice's container; the admin sees every container. */
export const WEB_CONTAINER = 'a1ce00000000000000000000000000000000000000000000000000000000web0';
/** Bob's container: Alice may not see it or its forwards. */
export const BOB_CONTAINER = 'b0b000000000000000000000000000000000000000000000000000000000bob0';

export interface TestPorthole {
  readonly port: number;
  /** `http://127.0.0.1:PORT` */
  readonly origin: string;
  /** `ws://127.0.0.1:PORT` */
  readonly wsOrigin: string;
  readonly runtime: FakeContainerRuntime;
  readonly forwards: ForwardService;
  readonly http: PortholeHttp;
  readonly logger: RecordingLogger;
  /** Forwards a fresh container port of `container` to a loopback address (as the admin). */
  forward(address: { host: string; port: number }, container?: string): Promise<PortForward>;
  /** Deletes the forward through ForwardService, which publishes forward_removed. */
  remove(forward: PortForward): Promise<void>;
  close(): Promise<void>;
}

/**
 * A real Porthole HTTP server on 127.0.0.1:0 (createPortholeHttp: REST, proxy, tunnel)
 * over a FakeContainerRuntime whose ports point at loopback fixtures.
 */
export async function startTestPorthole(
  options: { limits?: Partial<HttpLimits>; browser?: Partial<BrowserOptions>; publicUrl?: string } = {},
): Promise<TestPorthole> {
  const runtime = new FakeContainerRuntime([
    { id: WEB_CONTAINER, name: 'web', owner: 'alice' },
    { id: BOB_CONTAINER, name: 'bobs', owner: 'bob' },
  ]);
  const events = new InProcessEventBus();
  const forwards = new ForwardService({
    runtime,
    store: new InMemoryForwardStore(),
    localPorts: new RangePortAllocator({ first: 20000, last: 20999 }),
    ids: new CryptoIdGenerator(),
    clock: systemClock,
    events,
  });
  const lifecycle = new ForwardLifecycle(runtime, forwards);
  lifecycle.start();
  const logger = new RecordingLogger();
  const http = createPortholeHttp({
    forwards,
    authenticator: new StaticTokenAuthenticator([
      { token: ADMIN_TOKEN, principal: ADMIN },
      { token: ALICE_TOKEN, principal: { id: 'alice', role: 'user' } },
    ]),
    readiness: () => runtime.ping(),
    forwardEvents: events,
    publicUrl: options.publicUrl ?? 'http://porthole.test',
    logger,
    ...(options.limits === undefined ? {} : { limits: options.limits }),
    ...(options.browser === undefined ? {} : { browser: options.browser }),
  });
  // As apps/server makes its server: Porthole answers a missing Host itself.
  const server: Server = createServer({ requireHostHeader: false }, http.handleRequest);
  server.on('checkContinue', http.handleCheckContinue);
  server.on('clientError', http.handleClientError);
  server.on('connect', http.handleConnect);
  server.on('upgrade', http.handleUpgrade);
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const port = (server.address() as AddressInfo).port;
  let nextContainerPort = 8000;

  return {
    port,
    origin: `http://127.0.0.1:${port}`,
    wsOrigin: `ws://127.0.0.1:${port}`,
    runtime,
    forwards,
    http,
    logger,
    async forward(address, container = WEB_CONTAINER) {
      const containerPort = nextContainerPort;
      nextContainerPort += 1;
      runtime.listen(container, containerPort, address);
      return forwards.createForward(ADMIN, container, { containerPort });
    },
    async remove(forward) {
      await forwards.deleteForward(ADMIN, forward.containerId, forward.id);
    },
    async close() {
      lifecycle.stop();
      http.shutdown();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
