import type { ServiceIdentifier } from 'inversify';
import type { ContainerRuntime, ForwardStore } from '@porthole/core';
import type { Authenticator, HostPortListeners, Porthole } from '@porthole/http-api';
import type { Logger } from 'pino';
import type { PortholeConfig } from './config';

/** Injection tokens: the composition root binds each port to one implementation. */
export const TOKENS = {
  Config: Symbol.for('porthole.Config') as ServiceIdentifier<PortholeConfig>,
  Logger: Symbol.for('porthole.Logger') as ServiceIdentifier<Logger>,
  AdminToken: Symbol.for('porthole.AdminToken') as ServiceIdentifier<string>,
  ContainerRuntime: Symbol.for('porthole.ContainerRuntime') as ServiceIdentifier<ContainerRuntime>,
  ForwardStore: Symbol.for('porthole.ForwardStore') as ServiceIdentifier<ForwardStore>,
  HostPorts: Symbol.for('porthole.HostPorts') as ServiceIdentifier<HostPortListeners>,
  Authenticator: Symbol.for('porthole.Authenticator') as ServiceIdentifier<Authenticator>,
  /** Forwards, their lifecycle and every inbound adapter: createPorthole over the ports above. */
  Porthole: Symbol.for('porthole.Porthole') as ServiceIdentifier<Porthole>,
};
