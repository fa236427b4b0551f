import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { delimiter, join } from 'node:path';
import { KubeConfig } from '@kubernetes/client-node';
import type { DialMode } from './pod-dialer';

const SERVICE_ACCOUNT_NAMESPACE = '/var/run/secrets/kubernetes.io/serviceaccount/namespace';

export interface KubernetesEnvironment {
  readonly kubeConfig: KubeConfig;
  readonly namespace: string;
  /** Running in a pod of the cluster (the service account's credentials). */
  readonly inCluster: boolean;
  readonly dialMode: DialMode;
}

type Env = Readonly<Record<string, string | undefined>>;

/**
 * What kubectl would use: KUBECONFIG or ~/.kube/config, or the pod's service account
 * inside a cluster. The namespace is PORTHOLE_K8S_NAMESPACE, else the service account's
 * own, else the kubeconfig context's, else `default`. Dialing is direct to pod IPs inside
 * the cluster and through the API server from outside, unless PORTHOLE_K8S_DIAL says.
 */
export function kubernetesFromEnvironment(env: Env = process.env, readFile: (path: string) => string = (p) => readFileSync(p, 'utf8')): KubernetesEnvironment {
  const kubeConfig = new KubeConfig();
  const files = (env['KUBECONFIG'] ?? '').split(delimiter).filter((file) => file !== '');
  const inCluster = env['KUBERNETES_SERVICE_HOST'] !== undefined && files.length === 0;
  if (inCluster) {
    kubeConfig.loadFromCluster();
  } else if (files.length > 0) {
    // As kubectl: every file of the list, the first one's current context.
    files.forEach((file, index) => {
      if (index === 0) {
        kubeConfig.loadFromFile(file);
        return;
      }
      const more = new KubeConfig();
      more.loadFromFile(file);
      kubeConfig.mergeConfig(more);
    });
  } else if (existsSync(defaultKubeconfig())) {
    kubeConfig.loadFromDefault();
  } else {
    // client-node would fall back to http://localhost:8080 and fail later, obscurely.
    throw new Error(`no Kubernetes configuration found: KUBECONFIG is not set, ${defaultKubeconfig()} does not exist, and this is not a pod of a cluster`);
  }
  if (kubeConfig.getCurrentCluster() === null) {
    throw new Error(`the Kubernetes configuration has no current cluster (${files.join(delimiter) || defaultKubeconfig()})`);
  }
  const namespace =
    (env['PORTHOLE_K8S_NAMESPACE'] || undefined) ??
    (inCluster ? readOptional(readFile, SERVICE_ACCOUNT_NAMESPACE) : undefined) ??
    kubeConfig.getContextObject(kubeConfig.getCurrentContext())?.namespace ??
    'default';
  const requested = env['PORTHOLE_K8S_DIAL'];
  const dialMode: DialMode = requested === 'direct' || requested === 'apiserver' ? requested : inCluster ? 'direct' : 'apiserver';
  return { kubeConfig, namespace, inCluster, dialMode };
}

function defaultKubeconfig(): string {
  return join(homedir(), '.kube', 'config');
}

function readOptional(readFile: (path: string) => string, path: string): string | undefined {
  try {
    return readFile(path).trim() || undefined;
  } catch {
    return undefined;
  }
}
