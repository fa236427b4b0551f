export {
  DOMAIN_ERROR_CODES,
  DomainError,
  DomainErrors,
  isDomainError,
  type DomainErrorCode,
  type FieldIssue,
} from './domain/errors';
export { FORWARD_ID_PREFIX, isForwardId, type ForwardId } from './domain/forward-id';
export { MAX_FORWARD_NAME_LENGTH, type PortForward } from './domain/port-forward';
export { MAX_PORT, MIN_PORT, isPortNumber, parsePortNumber, type PortNumber } from './domain/port-number';
export { PLANS, isPlan, planOf, type Plan, type Principal } from './domain/principal';

export { systemClock, type Clock } from './ports/clock.port';
export {
  RuntimeFailure,
  type ContainerRuntime,
  type DialTarget,
  type LifecycleEvent,
  type RuntimeContainer,
  type RuntimeFailureReason,
  type Unsubscribe,
} from './ports/container-runtime.port';
export type {
  AccessDenialReason,
  ForwardEvent,
  ForwardEventPublisher,
  ForwardRemovalReason,
} from './ports/forward-events.port';
export type { DomainUpdateOutcome, ForwardStore, InsertOutcome } from './ports/forward-store.port';
export type { IdGenerator } from './ports/id-generator.port';
export type { LocalPortAllocator } from './ports/local-port-allocator.port';

export { canAccess, checkAddForward, normalizeForwardName, type AddViolation } from './rules/forward-rules';
export { isWithinDomain, normalizeCustomDomain } from './rules/custom-domain-rules';
export { planTable, plansWithCustomDomains, type PlanLimits, type PlanOverrides, type PlanTable } from './rules/plan-rules';
export {
  DEFAULT_FORWARD_POLICY,
  ForwardService,
  type CreateForwardInput,
  type UpdateForwardInput,
  type ForwardPolicy,
  type ForwardServiceDeps,
  type RestoreReport,
  type StaleForward,
} from './use-cases/forward.service';
export { ForwardLifecycle, type LifecycleLog } from './use-cases/forward-lifecycle';

export { InMemoryForwardStore } from './adapters/in-memory-forward-store';
export { RangePortAllocator, type PortRange } from './adapters/range-port-allocator';
export { CryptoIdGenerator } from './support/crypto-id-generator';
export { InProcessEventBus, type ForwardEventListener } from './support/in-process-event-bus';
export { KeyedMutex } from './support/keyed-mutex';
