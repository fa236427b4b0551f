export {
  createPortholeHttp,
  DEFAULT_BROWSER_OPTIONS,
  type BrowserOptions,
  type ForwardEventSource,
  type PortholeHttp,
  type PortholeHttpOptions,
} from './app';
export { auditEntryOf, loggerAuditSink, type AuditEntry, type AuditSink } from './audit/audit-log';
export type { Authenticator } from './auth/authenticator';
export { StaticTokenAuthenticator, tokenDigest } from './auth/static-token-authenticator';
export { ADMIN_TOKEN_USER_ID, parseTokensFile, tokensFileFormat, TokensFileError, type TokenEntry, type TokensFileFormat } from './auth/tokens-file';
export { AnyOfAuthenticators, JwtAuthenticator, type JwtOptions } from './auth/jwt-authenticator';
export { STATUS_BY_CODE, type DeliveryErrorCode, type ErrorCode } from './errors/error-status';
export type { ErrorBody } from './errors/error-body';
export { HostPortListeners, type HostPortOptions } from './host-ports/host-port-listeners';
export type { HostPortLimits } from './host-ports/host-port-relay';
export { DEFAULT_HTTP_LIMITS, type HttpLimits } from './limits';
export type { Logger } from './logger';
export type { ForwardJson } from './rest/forward-view';
export { TunnelClose } from './tunnel/close-codes';
export {
  createPorthole,
  DEFAULT_LOCAL_PORT_RANGE,
  type Porthole,
  type PortholeOptions,
  type PortholeRouter,
} from './embed/create-porthole';
