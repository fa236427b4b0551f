import type { RuntimeContainer } from '@porthole/core';

/** Label whose value names the user a container belongs to (DESIGN.md §4). */
export const OWNER_LABEL = 'porthole.owner';

/**
 * The part of an engine's inspect answer (`GET /containers/{id}/json`) that Porthole
 * reads. dockerode's `ContainerInspectInfo` fits it; tests pass plain objects. Fields the
 * engine may send as null or leave out are optional here so the conversion checks them.
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
  readonly Config?: { readonly Labels?: Readonly<Record<string, string>> | null } | null;
  readonly HostConfig?: { readonly NetworkMode?: string } | null;
  readonly NetworkSettings?: {
    readonly IPAddress?: string;
    readonly GlobalIPv6Address?: string;
    readonly Networks?: Readonly<Record<string, NetworkEndpoint | null>> | null;
  } | null;
}

interface NetworkEndpoint {
  readonly IPAddress?: string;
  readonly GlobalIPv6Address?: string;
}

export function toRuntimeContainer(info: ContainerInspect): RuntimeContainer {
  const { State } = info;
  return {
    id: info.Id,
    // The engine reports names with a leading '/' (a legacy of links); users never type it.
    name: info.Name.replace(/^\//, ''),
    // Docker keeps Running=true while a container is paused or restarting, but neither
    // serves connections, so neither counts as running for a forward.
    running: State.Running && !State.Paused && !State.Restarting,
    paused: State.Running && State.Paused,
    state: State.Status,
    // StartedAt changes on every start (and stays put across pause/unpause), so it tells
    // one life of a container from the next without any bookkeeping of our own.
    incarnation: State.StartedAt,
    owner: info.Config?.Labels?.[OWNER_LABEL] ?? null,
  };
}

/**
 * How to reach a container's ports from the Porthole process:
 * - `address`: dial this host directly;
 * - `shared`: the container lives in another container's network namespace
 *   (`--network container:X`, compose `network_mode: service:x`): dial that one's address;
 * - `none`: it has no address we could dial (`--network none`, or not attached yet).
 */
export type DialRoute =
  | { readonly kind: 'address'; readonly host: string }
  | { readonly kind: 'shared'; readonly containerRef: string }
  | { readonly kind: 'none'; readonly why: string };

/**
 * Picks the address to dial from what the engine reports for the container right now; the
 * proxy never dials anything else. `hostNetworkAddress` is where host-network containers
 * listen as seen from Porthole: loopback when Porthole runs on the engine's host.
 */
export function dialRoute(info: ContainerInspect, hostNetworkAddress: string): DialRoute {
  const mode = info.HostConfig?.NetworkMode ?? '';
  if (mode === 'host') return { kind: 'address', host: hostNetworkAddress };
  if (mode.startsWith('container:')) return { kind: 'shared', containerRef: mode.slice('container:'.length) };
  if (mode === 'none') return { kind: 'none', why: 'it runs with --network none' };

  const settings = info.NetworkSettings;
  const networks = Object.entries(settings?.Networks ?? {}).flatMap(([name, endpoint]) =>
    endpoint === null ? [] : [{ name, endpoint }],
  );
  // The network the container was started on comes first: with several networks
  // attached, that is the one its user had in mind. Docker lists the rest by name.
  networks.sort((a, b) => Number(b.name === mode) - Number(a.name === mode));
  const host =
    firstNonEmpty(networks.map((n) => n.endpoint.IPAddress)) ??
    nonEmpty(settings?.IPAddress) ??
    // IPv6-only networks; Docker disables IPv6 by default, so this is the last resort.
    firstNonEmpty(networks.map((n) => n.endpoint.GlobalIPv6Address)) ??
    nonEmpty(settings?.GlobalIPv6Address);
  if (host === undefined) return { kind: 'none', why: 'it has no address on any network' };
  return { kind: 'address', host };
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value === '' ? undefined : value;
}

function firstNonEmpty(values: readonly (string | undefined)[]): string | undefined {
  return values.map(nonEmpty).find((value) => value !== undefined);
}

/**
 * The reference to send to the engine for what a caller typed (a short or full hex id, or
 * a name, with or without the engine's leading '/'), or null when it cannot name a
 * container. dockerode pastes the reference into the URL path unescaped, so anything else
 * could reach another endpoint of the engine (`../images/x`), and a path the engine
 * "cleans" (`/containers//web`) gets a 301 that docker-modem follows with a request that
 * has no error listener: an uncatchable error that ends the process
 * (https://github.com/apocas/docker-modem/issues/176).
 */
export function toEngineRef(ref: string): string | null {
  const bare = ref.startsWith('/') ? ref.slice(1) : ref;
  // Docker's own rule for names is [a-zA-Z0-9][a-zA-Z0-9_.-]+; ids are hex and match it.
  return bare.length <= 256 && /^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/.test(bare) ? bare : null;
}
