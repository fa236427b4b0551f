export { KubernetesContainerRuntime, KUBERNETES_PERMISSIONS } from './kubernetes-container-runtime';
export { kubernetesFromEnvironment, type KubernetesEnvironment } from './kubernetes-environment';
export type { KubernetesRuntimeOptions, KubernetesRuntimeLogEntry } from './kubernetes-runtime-options';
export type { DialMode } from './pod-dialer';
export { CONTAINER_ID_LABEL, OWNER_LABEL } from './pod-container';
// For embedding: a platform builds its own KubeConfig (loadFromOptions, loadFromString).
export { KubeConfig } from '@kubernetes/client-node';
