import { DockerContainerRuntime, dockerFromEnvironment, hostNetworkAddressFor, probeDocker } from '@porthole/adapters-docker';
import type { ContainerRuntime } from '@porthole/core';
import type { Logger } from 'pino';
import type { PortholeConfig } from './config';

/** A start-up failure the operator can fix; main prints its message as one line. */
export class StartupError extends Error {
  override readonly name = 'StartupError';
}

const HOW_TO_POINT_AT_DOCKER =
  'Start a Docker engine, or point Porthole at one with DOCKER_HOST (for example DOCKER_HOST=unix:///var/run/docker.sock or tcp://127.0.0.1:2375).';

/**
 * `auto` takes Docker when an engine answers at DOCKER_HOST or the default socket.
 * Kubernetes is a runtime of its own package, not part of this build yet.
 */
export async function selectRuntime(config: PortholeConfig, logger: Logger): Promise<ContainerRuntime> {
  if (config.runtime === 'kubernetes') {
    throw new StartupError(
      'PORTHOLE_RUNTIME=kubernetes: the Kubernetes runtime is not available in this version of Porthole; use docker or auto.',
    );
  }
  let docker;
  let hostNetworkAddress;
  try {
    docker = dockerFromEnvironment(config.dockerHost);
    // A remote engine's host-network containers listen on that host, not on ours.
    hostNetworkAddress = hostNetworkAddressFor(config.dockerHost);
  } catch (error) {
    throw new StartupError(error instanceof Error ? error.message : String(error));
  }
  const where = config.dockerHost ?? 'unix:///var/run/docker.sock';
  if (!(await probeDocker(docker))) {
    throw new StartupError(`No Docker engine answers at ${where}. ${HOW_TO_POINT_AT_DOCKER}`);
  }
  logger.info({ runtime: 'docker', dockerHost: where, hostNetworkAddress }, 'using the Docker engine');
  return new DockerContainerRuntime(docker, {
    hostNetworkAddress,
    log: ({ msg, level, error, ...rest }) => logger[level]({ ...rest, ...(error !== undefined ? { err: error } : {}) }, msg),
  });
}
