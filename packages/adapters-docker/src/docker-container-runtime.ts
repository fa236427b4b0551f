import {
  RuntimeFailure,
  type ContainerRuntime,
  type DialTarget,
  type LifecycleEvent,
  type RuntimeContainer,
  type Unsubscribe,
} from '@porthole/core';
import type Dockerode from 'dockerode';
import { connect, type Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { dialRoute, sharedNetworkRef, toEngineRef, toRuntimeContainer } from './docker-container';
import { dockerFromEnvironment, pingWithin } from './docker-environment';
import { classifyEngineError, describeError, engineUnavailable } from './docker-errors';
import { DockerEventWatch } from './docker-events';
import { parseContainerInspect, type ContainerInspect } from './docker-inspect';
import { resolveOptions, type DockerRuntimeOptions, type ResolvedDockerRuntimeOptions } from './docker-runtime-options';

/**
 * Porthole's ContainerRuntime on a Docker engine: inspects containers, dials their
 * ports at the address the engine reports, and turns the engine's event stream into
 * lifecycle events. No dockerode error crosses this class, nor one caused by an engine
 * answer of an unexpected shape: every failure is a RuntimeFailure.
 */
export class DockerContainerRuntime implements ContainerRuntime {
  private readonly options: ResolvedDockerRuntimeOptions;

  /**
   * @param docker the engine client; by default the one the docker CLI would use
   *   (DOCKER_HOST, see dockerFromEnvironment).
   * @throws RangeError for a non-positive timeout or backoff option.
   */
  constructor(
    private readonly docker: Dockerode = dockerFromEnvironment(),
    options: DockerRuntimeOptions = {},
  ) {
    this.options = resolveOptions(options);
  }

  async find(ref: string): Promise<RuntimeContainer | null> {
    const doing = `looking up container ${ref}`;
    const inspected = await this.inspectWithNetwork(ref, doing);
    return inspected === null ? null : convert(inspected, doing);
  }

  async dial(target: DialTarget): Promise<Duplex> {
    const { containerId, incarnation, port } = target;
    const doing = `dialing container ${containerId}`;
    // Inspected fresh on every dial: the proxy may only ever dial an address the engine
    // reports for this container now, never one remembered from an earlier life.
    const inspected = await this.inspectWithNetwork(containerId, doing);
    // The id must match exactly: a name or prefix that now resolves to another container
    // is not the container the forward was made for.
    if (inspected === null || inspected.info.Id !== containerId) {
      throw new RuntimeFailure('gone', `container ${containerId} no longer exists`);
    }
    const container = convert(inspected, doing);
    if (container.incarnation !== incarnation) {
      throw new RuntimeFailure('gone', `container ${containerId} was restarted since the forward was made`);
    }
    if (container.paused) {
      throw new RuntimeFailure('paused', `container ${containerId} is paused`);
    }
    if (!container.running) {
      throw new RuntimeFailure('gone', `container ${containerId} is ${container.state}`);
    }
    return this.connect(this.addressOf(inspected), port, containerId);
  }

  watch(listener: (event: LifecycleEvent) => void): Unsubscribe {
    const watch = new DockerEventWatch(this.docker, listener, this.options);
    watch.start();
    return () => watch.stop();
  }

  async ping(): Promise<void> {
    try {
      await pingWithin(this.docker, this.options.requestTimeoutMs);
    } catch (error) {
      throw engineUnavailable(error, 'pinging it');
    }
  }

  /**
   * The container, and for one in another container's network namespace that one too
   * (null when it no longer exists): its life is part of this one's (toRuntimeContainer).
   */
  private async inspectWithNetwork(ref: string, doing: string): Promise<Inspected | null> {
    const info = await this.inspect(ref, doing);
    if (info === null) return null;
    const ownerRef = sharedNetworkRef(info);
    return ownerRef === null ? { info } : { info, networkOwner: await this.inspect(ownerRef, doing) };
  }

  /** The inspect answer, checked, or null when the engine has no such container. */
  private async inspect(ref: string, doing: string): Promise<ContainerInspect | null> {
    // Not something the engine could know: answering null spares a request, and keeps
    // odd references (`../images/x`) out of the engine's URL space.
    const engineRef = toEngineRef(ref);
    if (engineRef === null) return null;
    let raw: unknown;
    try {
      raw = await this.docker
        .getContainer(engineRef)
        .inspect({ abortSignal: AbortSignal.timeout(this.options.requestTimeoutMs) });
    } catch (error) {
      if (classifyEngineError(error) === 'not_found') return null;
      throw engineUnavailable(error, doing);
    }
    try {
      return parseContainerInspect(raw);
    } catch (error) {
      throw engineUnavailable(error, doing);
    }
  }

  /** The host to dial for a running container, following a shared network namespace once. */
  private addressOf({ info, networkOwner }: Inspected): string {
    const id = info.Id;
    const route = dialRoute(info, this.options.hostNetworkAddress);
    if (route.kind === 'address') return route.host;
    if (route.kind === 'none') throw new RuntimeFailure('refused', `container ${id} cannot be dialed: ${route.why}`);

    // `--network container:X`: its ports are X's ports, at X's address. Running means X
    // runs in the life this container joined (toRuntimeContainer), so X's address now is
    // this container's address. One hop only: X itself sharing a third one's namespace
    // is not followed.
    const ownerRoute = networkOwner ? dialRoute(networkOwner, this.options.hostNetworkAddress) : undefined;
    if (ownerRoute?.kind !== 'address') {
      throw new RuntimeFailure('refused', `container ${id} shares the network of ${route.containerRef}, which cannot be dialed`);
    }
    return ownerRoute.host;
  }

  private connect(host: string, port: number, containerId: string): Promise<Socket> {
    const timeoutMs = this.options.connectTimeoutMs;
    return new Promise<Socket>((resolve, reject) => {
      const socket = connect({ host, port });
      const cleanup = () => {
        socket.removeListener('connect', onConnect);
        socket.removeListener('error', onError);
        socket.removeListener('timeout', onTimeout);
        socket.setTimeout(0);
      };
      const onConnect = () => {
        cleanup();
        // Proxied requests and tunnels write small frames that should leave at once.
        socket.setNoDelay(true);
        resolve(socket);
      };
      // ECONNREFUSED (nothing listens), EHOSTUNREACH, ENETUNREACH, ...: all mean that
      // nothing accepts on the port, which is what the caller needs to know.
      const onError = (error: Error) => {
        cleanup();
        socket.destroy();
        reject(
          new RuntimeFailure(
            'refused',
            `nothing accepts connections on port ${port} of container ${containerId} (${host}): ${describeError(error)}`,
            { cause: error },
          ),
        );
      };
      // Before 'connect', the idle timeout is a connect timeout: the address of a
      // container that just died may not answer at all.
      const onTimeout = () =>
        onError(Object.assign(new Error(`connect timed out after ${timeoutMs} ms`), { code: 'ETIMEDOUT' }));
      socket.setTimeout(timeoutMs);
      socket.once('connect', onConnect);
      socket.once('error', onError);
      socket.once('timeout', onTimeout);
    });
  }
}

/** What dial and find read: a container, and the one whose network it shares, if any. */
interface Inspected {
  readonly info: ContainerInspect;
  readonly networkOwner?: ContainerInspect | null;
}

/**
 * The container as the domain sees it. The conversion reads nothing but what the engine
 * said, so anything it throws means the engine said something unexpected.
 */
function convert({ info, networkOwner }: Inspected, doing: string): RuntimeContainer {
  try {
    return toRuntimeContainer(info, networkOwner);
  } catch (error) {
    throw engineUnavailable(error, doing);
  }
}
