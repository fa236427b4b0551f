import type { ServiceIdentifier } from 'inversify';
import type {
  Clock,
  ContainerRuntime,
  ForwardLifecycle,
  ForwardService,
  ForwardStore,
  IdGenerator,
  InProcessEventBus,
  LocalPortAllocator,
} from '@porthole/core';
import type { Authenticator, HostPortListeners, PortholeHttp } from '@porthole/http-api';
import type { Logger } from 'pino';
import type { PortholeConfig } from './config';

/** Injection tokens: the composition root binds each port to one implementation. */
export const TOKENS = {
  Config: Symbol.for('porthole.Config') as ServiceIdentifier<PortholeConfig>,
  Logger: Symbol.for('porthole.Logger') as ServiceIdentifier<Logger>,
  AdminToken: Symbol.for('porthole.AdminToken') as ServiceIdentifier<string>,
  ContainerRuntime: Symbol.for('porthole.ContainerRuntime') as ServiceIdentifier<ContainerRuntime>,
  ForwardStore: Symbol.for('porthole.ForwardStore') as ServiceIdentifier<ForwardStore>,
  LocalPortAllocator: Symbol.for('porthole.LocalPortAllocator') as ServiceIdentifier<LocalPortAllocator>,
  HostPorts: Symbol.for('porthole.HostPorts') as ServiceIdentifier<HostPortListeners>,
  Clock: Symbol.for('porthole.Clock') as ServiceIdentifier<Clock>,
  IdGenerator: Symbol.for('porthole.IdGenerator') as ServiceIdentifier<IdGenerator>,
  EventBus: Symbol.for('porthole.EventBus') as ServiceIdentifier<InProcessEventBus>,
  ForwardService: Symbol.for('porthole.ForwardService') as ServiceIdentifier<ForwardService>,
  ForwardLifecycle: Symbol.for('porthole.ForwardLifecycle') as ServiceIdentifier<ForwardLifecycle>,
  Authenticator: Symbol.for('porthole.Authenticator') as ServiceIdentifier<Authenticator>,
  Http: Symbol.for('porthole.Http') as ServiceIdentifier<PortholeHttp>,
};
