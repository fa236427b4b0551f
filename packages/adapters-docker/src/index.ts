export { DockerContainerRuntime } from './docker-container-runtime';
export type { DockerRuntimeLog, DockerRuntimeLogEntry, DockerRuntimeOptions } from './docker-runtime-options';
export { dockerFromEnvironment, hostNetworkAddressFor, probeDocker } from './docker-environment';
