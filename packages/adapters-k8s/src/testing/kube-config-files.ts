import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** What a client needs to reach the fake API server. */
export interface ClusterAccess {
  readonly url: string;
  readonly caData: string;
  readonly token: string;
  readonly namespace: string;
}

export interface ServiceAccountFiles {
  /** For `KubeConfig.loadFromCluster(pathPrefix)`. */
  readonly pathPrefix: string;
  /** To set in process.env before loadFromCluster. */
  readonly env: { readonly KUBERNETES_SERVICE_HOST: string; readonly KUBERNETES_SERVICE_PORT: string };
}

/** Writes `<dir>/kubeconfig`, one cluster, user and context as kubeConfigOptions(); returns its path. */
export function writeKubeconfig(dir: string, access: ClusterAccess): string {
  // JSON strings are YAML double-quoted scalars.
  const q = (value: string): string => JSON.stringify(value);
  const file = join(dir, 'kubeconfig');
  const yaml = [
    'apiVersion: v1',
    'kind: Config',
    'clusters:',
    '- name: fake-kube-apiserver',
    '  cluster:',
    `    server: ${q(access.url)}`,
    `    certificate-authority-data: ${q(access.caData)}`,
    'users:',
    '- name: porthole',
    '  user:',
    `    token: ${q(access.token)}`,
    'contexts:',
    '- name: porthole-test',
    '  context:',
    '    cluster: fake-kube-apiserver',
    '    user: porthole',
    `    namespace: ${q(access.namespace)}`,
    'current-context: porthole-test',
    '',
  ].join('\n');
  writeFileSync(file, yaml, { mode: 0o600 });
  return file;
}

/** The files a pod's service account mounts, under `<root>/var/run/secrets/kubernetes.io/serviceaccount`. */
export function writeServiceAccount(root: string, access: ClusterAccess): ServiceAccountFiles {
  const dir = join(root, 'var/run/secrets/kubernetes.io/serviceaccount');
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'token'), access.token, { mode: 0o600 });
  writeFileSync(join(dir, 'ca.crt'), Buffer.from(access.caData, 'base64'));
  writeFileSync(join(dir, 'namespace'), access.namespace);
  const { port } = new URL(access.url);
  return { pathPrefix: root.replace(/\/+$/, ''), env: { KUBERNETES_SERVICE_HOST: '127.0.0.1', KUBERNETES_SERVICE_PORT: port } };
}
