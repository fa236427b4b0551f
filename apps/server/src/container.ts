import { Container } from 'inversify';
import type { ContainerRuntime, ForwardStore } from '@porthole/core';
import { ADMIN_TOKEN_USER_ID, AnyOfAuthenticators, HostPortListeners, JwtAuthenticator, StaticTokenAuthenticator, createPorthole, loggerAuditSink } from '@porthole/http-api';
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
 * The one place that knows every package. Core classes carry no decorators: the ports are
 * bound here, and createPorthole (the same wiring a platform that embeds Porthole uses)
 * builds the forwards, their lifecycle and the HTTP side over them.
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
  container
    .bind(TOKENS.Authenticator)
    .toDynamicValue(
      (ctx) => {
        const tokens = new StaticTokenAuthenticator([{ token: ctx.get(TOKENS.AdminToken), principal: { id: ADMIN_TOKEN_USER_ID, role: 'admin' } }, ...config.tokens]);
        return config.jwt === undefined ? tokens : new AnyOfAuthenticators([tokens, new JwtAuthenticator(config.jwt)]);
      },
    );
  container.bind(TOKENS.Porthole).toDynamicValue((ctx) =>
    createPorthole({
      runtime: ctx.get(TOKENS.ContainerRuntime),
      store: ctx.get(TOKENS.ForwardStore),
      authenticator: ctx.get(TOKENS.Authenticator),
      publicUrl: config.publicUrl,
      // At the root whatever the public URL's path: a proxy in front may strip it.
      basePath: '',
      logger,
      // The audit trail is not chatter: it is written at any log level but silent.
      // (The logger's own level, not the variable: tests and embedders pass a silent one.)
      audit: loggerAuditSink(logger.level === 'silent' ? logger : logger.child({}, { level: 'info' })),
      localPorts: ctx.get(TOKENS.HostPorts),
      policy: { maxForwardsPerContainer: config.maxForwardsPerContainer, plans: config.planLimits, reservedDomains: config.reservedDomains },
      limits: {
        proxyMaxBytes: config.proxyMaxBytes,
        proxyIdleTimeoutMs: config.proxyIdleTimeoutMs,
        tunnelBytesPerSecond: config.tunnelBytesPerSecond,
        tunnelIdleTimeoutMs: config.tunnelIdleTimeoutMs,
      },
      browser: { previewDomain: config.previewDomain, sessionTtlMs: config.sessionTtlMs, linkTtlMs: config.linkTtlMs },
    }),
  );
  return container;
}
