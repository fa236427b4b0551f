import type { RuntimeContainer } from '@porthole/core';
import { timestampNanos, type ContainerInspect } from './docker-inspect';

/** Label whose value names the user a container belongs to (DESIGN.md §4). */
export const OWNER_LABEL = 'porthole.owner';

/**
 * The container as the domain sees it.
 * @param networkOwner for a container in another container's network namespace
 *   (`--network container:X`, see sharedNetworkRef): X as the engine reports it now, or
 *   null when X no longer exists. Left out for any other container.
 * @throws UnexpectedEngineAnswer when a start time it must compare is no timestamp.
 */
export function toRuntimeContainer(info: ContainerInspect, networkOwner?: ContainerInspect | null): RuntimeContainer {
  const { State } = info;
  const label = info.Config?.Labels?.[OWNER_LABEL];
  const container: RuntimeContainer = {
    id: info.Id,
    // The engine reports names with a leading '/' (a legacy of links); users never type it.
    name: bareName(info),
    // Docker keeps Running=true while a container is paused or restarting, but neither
    // serves connections, so neither counts as running for a forward.
    running: State.Running && !State.Paused && !State.Restarting,
    paused: State.Running && State.Paused,
    state: State.Status,
    // StartedAt changes on every start (and stays put across pause/unpause), so it tells
    // one life of a container from the next without any bookkeeping of our own.
    incarnation: State.StartedAt,
    owner: typeof label === 'string' ? label : null,
  };
  const ownerRef = sharedNetworkRef(info);
  if (ownerRef === null) return container;

  // Its network is X's network in one life of X, so that life is part of its own: once X
  // restarts, every forward made before must go, even though Docker still reports this
  // container running in the same life.
  const owner = networkOwner ?? null;
  const networkLife = owner === null ? `${ownerRef}@gone` : `${owner.Id}@${owner.State.StartedAt}`;
  const withNetwork = { ...container, incarnation: `${State.StartedAt}|${networkLife}` };
  if (!withNetwork.running && !withNetwork.paused) return withNetwork;
  const lost = sharedNetworkLoss(info, ownerRef, owner);
  if (lost === null) return withNetwork;
  // Alive but unreachable for good (only restarting it helps): not running, not paused,
  // so no new forwards, and the old ones are removed by the next stop or reconcile.
  return { ...withNetwork, running: false, paused: false, state: `without a network (${lost}; restart it to rejoin)` };
}

/**
 * The container whose network namespace this one lives in (`--network container:X`,
 * compose `network_mode: service:x`), as the engine names it (Docker 20.10 writes the
 * full id), or null for any other network mode.
 */
export function sharedNetworkRef(info: ContainerInspect): string | null {
  const mode = info.HostConfig?.NetworkMode ?? '';
  return mode.startsWith('container:') ? mode.slice('container:'.length) : null;
}

/**
 * Why a running container that joined X's network namespace is no longer in it, or null
 * while it is. Docker makes a new namespace for X on every start and never moves the
 * containers that joined the old one: once X stops they keep running with only `lo`,
 * and X's next life gets a new namespace, often at the same address, that they are not
 * in. So they are in X's namespace only while X runs in the life it had when they
 * started (a paused X keeps its namespace).
 */
function sharedNetworkLoss(info: ContainerInspect, ownerRef: string, owner: ContainerInspect | null): string | null {
  if (owner === null) return `${ownerRef}, whose network it joined, no longer exists`;
  const joined = `${bareName(owner)}, whose network it joined,`;
  if (!owner.State.Running || owner.State.Restarting) return `${joined} is ${owner.State.Status}`;
  const ownerStarted = timestampNanos(owner.State.StartedAt, `State.StartedAt of ${owner.Id}`);
  const started = timestampNanos(info.State.StartedAt, `State.StartedAt of ${info.Id}`);
  return ownerStarted > started ? `${joined} was restarted since` : null;
}

function bareName(info: ContainerInspect): string {
  return info.Name.replace(/^\//, '');
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
  const containerRef = sharedNetworkRef(info);
  if (containerRef !== null) return { kind: 'shared', containerRef };
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

function nonEmpty(value: string | null | undefined): string | undefined {
  return value === undefined || value === null || value === '' ? undefined : value;
}

function firstNonEmpty(values: readonly (string | null | undefined)[]): string | undefined {
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
