import { DockerContainerRuntime, dockerFromEnvironment, hostNetworkAddressFor, probeDocker } from '@porthole/adapters-docker';
import { KubernetesContainerRuntime, kubernetesFromEnvironment } from '@porthole/adapters-k8s';
import type { ContainerRuntime } from '@porthole/core';
import type { Logger } from 'pino';
import type { PortholeConfig } from './config';

/** A start-up failure the operator can fix; main prints its message as one line. */
export class StartupError extends Error {
  override readonly name = 'StartupError';
}

const HOW_TO_POINT_AT_DOCKER =
  'Start a Docker engine, or point Porthole at one with DOCKER_HOST (for example DOCKER_HOST=unix:///var/run/docker.sock or tcp://127.0.0.1:2375).';

type Env = Readonly<Record<string, string | undefined>>;

/**
 * `kubernetes` uses the cluster of KUBECONFIG (or ~/.kube/config, or the pod's service
 * account). `auto` takes Docker when an engine answers at DOCKER_HOST or the default
 * socket, else Kubernetes when Porthole runs in a cluster or KUBECONFIG is set.
 */
export async function selectRuntime(config: PortholeConfig, logger: Logger, env: Env = process.env): Promise<ContainerRuntime> {
  if (config.runtime === 'kubernetes') return kubernetesRuntime(config, logger, env);
  if (config.runtime === 'auto' && config.dockerHost === undefined && (env['KUBERNETES_SERVICE_HOST'] !== undefined || env['KUBECONFIG'] !== undefined)) {
    const docker = dockerFromEnvironment(undefined);
    if (!(await probeDocker(docker))) return kubernetesRuntime(config, logger, env);
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

async function kubernetesRuntime(config: PortholeConfig, logger: Logger, env: Env): Promise<ContainerRuntime> {
  let found;
  try {
    found = kubernetesFromEnvironment(env);
  } catch (error) {
    const reason = (error instanceof Error ? error.message : String(error)).replace(/\s+/g, ' ').trim();
    throw new StartupError(`No usable Kubernetes configuration: ${reason}. Set KUBECONFIG, or run Porthole in a pod with a service account.`);
  }
  const namespace = config.k8sNamespace ?? found.namespace;
  const dialMode = config.k8sDial === 'auto' ? found.dialMode : config.k8sDial;
  const runtime = new KubernetesContainerRuntime(found.kubeConfig, {
    namespace,
    dialMode,
    log: ({ msg, level, error, ...rest }) => logger[level]({ ...rest, ...(error !== undefined ? { err: error } : {}) }, msg),
  });
  try {
    await runtime.ping();
  } catch (error) {
    throw new StartupError(`Kubernetes cannot be used: ${error instanceof Error ? error.message : String(error)}`);
  }
  logger.info({ runtime: 'kubernetes', namespace, dialMode, inCluster: found.inCluster }, 'using Kubernetes');
  return runtime;
}
