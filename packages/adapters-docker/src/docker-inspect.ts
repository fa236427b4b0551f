/**
 * The part of an engine's inspect answer (`GET /containers/{id}/json`) that Porthole
 * reads. Fields the engine may send as null or leave out are optional, so the
 * conversions check them; everything here has been checked by parseContainerInspect.
 */
export interface ContainerInspect {
  readonly Id: string;
  readonly Name: string;
  readonly State: {
    readonly Status: string;
    readonly Running: boolean;
    readonly Paused: boolean;
    readonly Restarting: boolean;
    readonly StartedAt: string;
  };
  readonly Config?: { readonly Labels?: Readonly<Record<string, unknown>> | null } | null;
  readonly HostConfig?: { readonly NetworkMode?: string | null } | null;
  readonly NetworkSettings?: {
    readonly IPAddress?: string | null;
    readonly GlobalIPv6Address?: string | null;
    readonly Networks?: Readonly<Record<string, NetworkEndpoint | null>> | null;
  } | null;
}

export interface NetworkEndpoint {
  readonly IPAddress?: string | null;
  readonly GlobalIPv6Address?: string | null;
}

/**
 * The engine answered, but not with what a Docker engine sends (a proxy's error page, a
 * broken or foreign implementation of the API). The runtime reports it as 'unavailable':
 * to the caller it means the same thing, the question cannot be answered right now.
 */
export class UnexpectedEngineAnswer extends Error {
  override readonly name = 'UnexpectedEngineAnswer';
}

/**
 * Checks that an inspect answer has every field Porthole reads, with the type it reads
 * it as, and returns it typed. docker-modem hands over whatever came back: parsed JSON of
 * any shape, or a Buffer when the body was not JSON at all (also for a body of `null`).
 * @throws UnexpectedEngineAnswer naming the first field that is missing or of another type.
 */
export function parseContainerInspect(raw: unknown): ContainerInspect {
  const info = record(raw, 'the inspect answer');
  const state = record(info['State'], 'State');
  required(info, 'Id', 'string', 'Id');
  if (info['Id'] === '') throw new UnexpectedEngineAnswer('the inspect answer has an empty Id');
  required(info, 'Name', 'string', 'Name');
  required(state, 'Status', 'string', 'State.Status');
  for (const flag of ['Running', 'Paused', 'Restarting']) required(state, flag, 'boolean', `State.${flag}`);
  required(state, 'StartedAt', 'string', 'State.StartedAt');

  const config = optionalRecord(info['Config'], 'Config');
  const labels = optionalRecord(config?.['Labels'], 'Config.Labels');
  optional(labels, 'porthole.owner', 'string', 'Config.Labels["porthole.owner"]');
  const hostConfig = optionalRecord(info['HostConfig'], 'HostConfig');
  optional(hostConfig, 'NetworkMode', 'string', 'HostConfig.NetworkMode');
  const settings = optionalRecord(info['NetworkSettings'], 'NetworkSettings');
  optional(settings, 'IPAddress', 'string', 'NetworkSettings.IPAddress');
  optional(settings, 'GlobalIPv6Address', 'string', 'NetworkSettings.GlobalIPv6Address');
  const networks = optionalRecord(settings?.['Networks'], 'NetworkSettings.Networks');
  for (const [name, value] of Object.entries(networks ?? {})) {
    const endpoint = optionalRecord(value, `NetworkSettings.Networks.${name}`);
    optional(endpoint, 'IPAddress', 'string', `NetworkSettings.Networks.${name}.IPAddress`);
    optional(endpoint, 'GlobalIPv6Address', 'string', `NetworkSettings.Networks.${name}.GlobalIPv6Address`);
  }
  return info as unknown as ContainerInspect;
}

/**
 * An engine timestamp (Go's RFC 3339 with up to nanoseconds, `2026-12-03T12:00:00.1234Z`)
 * in nanoseconds since the epoch. The strings cannot be compared as text: Go trims
 * trailing zeros of the fraction, so `.1234Z` sorts after `.12345Z`.
 * @throws UnexpectedEngineAnswer for anything else.
 */
export function timestampNanos(timestamp: string, field: string): bigint {
  const match = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.(\d{1,9}))?(Z|[+-]\d\d:\d\d)$/.exec(timestamp);
  const ms = match === null ? Number.NaN : Date.parse(`${match[1]}${match[3]}`);
  if (match === null || Number.isNaN(ms)) {
    throw new UnexpectedEngineAnswer(`${field} is not a timestamp: ${JSON.stringify(timestamp).slice(0, 80)}`);
  }
  return BigInt(ms) * 1_000_000n + BigInt((match[2] ?? '').padEnd(9, '0'));
}

type Fields = Readonly<Record<string, unknown>>;

function record(value: unknown, what: string): Fields {
  if (typeof value !== 'object' || value === null || Array.isArray(value) || Buffer.isBuffer(value)) {
    throw new UnexpectedEngineAnswer(`${what} is not a JSON object but ${describe(value)}`);
  }
  return value as Fields;
}

function optionalRecord(value: unknown, what: string): Fields | undefined {
  return value === undefined || value === null ? undefined : record(value, what);
}

function required(fields: Fields, key: string, type: 'string' | 'boolean', what: string): void {
  if (typeof fields[key] !== type) throw new UnexpectedEngineAnswer(`${what} is not a ${type} but ${describe(fields[key])}`);
}

function optional(fields: Fields | undefined, key: string, type: 'string', what: string): void {
  const value = fields?.[key];
  if (value !== undefined && value !== null && typeof value !== type) {
    throw new UnexpectedEngineAnswer(`${what} is not a ${type} but ${describe(value)}`);
  }
}

function describe(value: unknown): string {
  if (value === undefined) return 'missing';
  if (value === null) return 'null';
  if (Buffer.isBuffer(value)) return `the body ${JSON.stringify(value.toString('utf8', 0, 60))}`;
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'string') return `the string ${JSON.stringify(value.slice(0, 60))}`;
  return typeof value === 'object' ? 'an object' : `${typeof value} ${String(value)}`;
}
