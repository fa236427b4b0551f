import { Container } from 'inversify';
import {
  CryptoIdGenerator,
  ForwardLifecycle,
  ForwardService,
  InProcessEventBus,
  systemClock,
  type ContainerRuntime,
  type ForwardStore,
} from '@porthole/core';
import { AnyOfAuthenticators, HostPortListeners, JwtAuthenticator, StaticTokenAuthenticator, createPortholeHttp } from '@porthole/http-api';
import type { Logger } from 'pino';
import type { PortholeConfig } from './config';
import { TOKENS } from './tokens';

export interface Wiring {
  readonly config: PortholeConfig & { readonly publicUrl: string };
  readonly logger: Logger;
  readonly runtime: ContainerRuntime;
  readonly adminToken: string;
  /** Opened by the caller, which closes it after the server (see openForwardStore). */
  readonly store: ForwardStore;
}

/**
 * The one place that knows every package. Core classes carry no decorators; each is built
 * by a factory here from the ports it needs.
 */
export function buildContainer({ config, logger, runtime, adminToken, store }: Wiring): Container {
  const container = new Container({ defaultScope: 'Singleton' });
  container.bind(TOKENS.Config).toConstantValue(config);
  container.bind(TOKENS.Logger).toConstantValue(logger);
  container.bind(TOKENS.AdminToken).toConstantValue(adminToken);
  container.bind(TOKENS.ContainerRuntime).toConstantValue(runtime);
  container.bind(TOKENS.ForwardStore).toConstantValue(store);
  container
    .bind(TOKENS.HostPorts)
    .toDynamicValue(
      () =>
        new HostPortListeners({
          range: config.localPorts,
          bind: config.localBind,
          logger,
          // Host-port connections get the tunnel's limits, per connection and direction.
          limits: { bytesPerSecond: config.tunnelBytesPerSecond, idleTimeoutMs: config.tunnelIdleTimeoutMs },
        }),
    );
  container.bind(TOKENS.LocalPortAllocator).toService(TOKENS.HostPorts);
  container.bind(TOKENS.Clock).toConstantValue(systemClock);
  container.bind(TOKENS.IdGenerator).toDynamicValue(() => new CryptoIdGenerator());
  container
    .bind(TOKENS.EventBus)
    .toDynamicValue(() => new InProcessEventBus((error) => logger.error({ err: error }, 'forward event listener failed')));

  container.bind(TOKENS.ForwardService).toDynamicValue((ctx) => {
    const service = new ForwardService({
      runtime: ctx.get(TOKENS.ContainerRuntime),
      store: ctx.get(TOKENS.ForwardStore),
      localPorts: ctx.get(TOKENS.LocalPortAllocator),
      ids: ctx.get(TOKENS.IdGenerator),
      clock: ctx.get(TOKENS.Clock),
      events: ctx.get(TOKENS.EventBus),
      policy: { maxForwardsPerContainer: config.maxForwardsPerContainer },
    });
    // The listeners relay through the service, which in turn allocates through them.
    ctx.get(TOKENS.HostPorts).attach(service);
    return service;
  });
  container.bind(TOKENS.ForwardLifecycle).toDynamicValue(
    (ctx) =>
      new ForwardLifecycle(ctx.get(TOKENS.ContainerRuntime), ctx.get(TOKENS.ForwardService), ({ msg, ...rest }) =>
        logger.info(rest, msg),
      ),
  );
  container
    .bind(TOKENS.Authenticator)
    .toDynamicValue(
      (ctx) => {
        const tokens = new StaticTokenAuthenticator([{ token: ctx.get(TOKENS.AdminToken), principal: { id: 'admin', role: 'admin' } }, ...config.tokens]);
        return config.jwt === undefined ? tokens : new AnyOfAuthenticators([tokens, new JwtAuthenticator(config.jwt)]);
      },
    );
  container.bind(TOKENS.Http).toDynamicValue((ctx) => {
    const runtimeForReadiness = ctx.get(TOKENS.ContainerRuntime);
    return createPortholeHttp({
      forwards: ctx.get(TOKENS.ForwardService),
      authenticator: ctx.get(TOKENS.Authenticator),
      readiness: () => runtimeForReadiness.ping(),
      forwardEvents: ctx.get(TOKENS.EventBus),
      publicUrl: config.publicUrl,
      logger,
      limits: {
        proxyMaxBytes: config.proxyMaxBytes,
        proxyIdleTimeoutMs: config.proxyIdleTimeoutMs,
        tunnelBytesPerSecond: config.tunnelBytesPerSecond,
        tunnelIdleTimeoutMs: config.tunnelIdleTimeoutMs,
      },
      browser: { previewDomain: config.previewDomain, sessionTtlMs: config.sessionTtlMs, linkTtlMs: config.linkTtlMs },
    });
  });
  return container;
}
