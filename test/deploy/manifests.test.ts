// deploy/kubernetes against what Porthole actually needs: the Role grants exactly the
// Kubernetes runtime's KUBERNETES_PERMISSIONS, it is bound to the Deployment's service
// account, the probes reach Porthole's health routes, and the pod runs unprivileged with
// PORTHOLE_RUNTIME=kubernetes and an environment the server's own parser accepts.
import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { KUBERNETES_PERMISSIONS } from '../../packages/adapters-k8s/src/index';
import { parseConfig } from '../../apps/server/src/config';

const ROOT = path.resolve(__dirname, '../..');
const MANIFESTS = path.join(ROOT, 'deploy/kubernetes');

// The YAML is read with client-node's own loader (js-yaml plus its typed deserialisation,
// which drops fields that Kubernetes does not know, so a misspelt field shows as missing).
// @kubernetes/client-node is a dependency of packages/adapters-k8s, not of the workspace
// root, so it is resolved from that package, as Node would for the adapter itself; Jest
// transpiles its ES modules (jest.config.js).
const ADAPTER_DIR = path.join(ROOT, 'packages/adapters-k8s');
// eslint-disable-next-line @typescript-eslint/no-require-imports
const clientNode = require(require.resolve('@kubernetes/client-node', { paths: [ADAPTER_DIR] })) as {
  loadAllYaml(data: string): unknown[];
};

interface Metadata {
  name: string;
  namespace?: string;
  labels?: Record<string, string>;
}
interface Manifest {
  apiVersion: string;
  kind: string;
  metadata: Metadata;
}
interface PolicyRule {
  apiGroups?: string[];
  resources?: string[];
  verbs: string[];
  resourceNames?: string[];
  nonResourceURLs?: string[];
}
interface Role extends Manifest {
  rules: PolicyRule[];
}
interface RoleBinding extends Manifest {
  roleRef: { apiGroup: string; kind: string; name: string };
  subjects: { kind: string; name: string; namespace?: string; apiGroup?: string }[];
}
interface Probe {
  httpGet?: { path: string; port: number | string; scheme?: string };
}
interface SecurityContext {
  runAsNonRoot?: boolean;
  runAsUser?: number;
  runAsGroup?: number;
  allowPrivilegeEscalation?: boolean;
  readOnlyRootFilesystem?: boolean;
  privileged?: boolean;
  capabilities?: { drop?: string[]; add?: string[] };
}
interface EnvVar {
  name: string;
  value?: string;
  valueFrom?: { secretKeyRef?: { name: string; key: string } };
}
interface Container {
  name: string;
  image: string;
  ports?: { name?: string; containerPort: number; protocol?: string }[];
  env?: EnvVar[];
  readinessProbe?: Probe;
  livenessProbe?: Probe;
  securityContext?: SecurityContext;
  resources?: { requests?: Record<string, string>; limits?: Record<string, string> };
  volumeMounts?: { name: string; mountPath: string }[];
}
interface Deployment extends Manifest {
  spec: {
    replicas?: number;
    selector: { matchLabels: Record<string, string> };
    template: {
      metadata: { labels: Record<string, string> };
      spec: {
        serviceAccountName?: string;
        securityContext?: SecurityContext & { fsGroup?: number };
        containers: Container[];
        volumes?: { name: string; persistentVolumeClaim?: { claimName: string }; emptyDir?: object }[];
      };
    };
  };
}
interface Service extends Manifest {
  spec: { selector: Record<string, string>; ports: { port: number; targetPort: number | string }[] };
}

function loadFile(file: string): Manifest[] {
  return clientNode.loadAllYaml(readFileSync(path.join(MANIFESTS, file), 'utf8')) as Manifest[];
}

const kustomization = loadFile('kustomization.yaml')[0] as Manifest & { namespace?: string; resources: string[] };
const manifests = kustomization.resources.flatMap(loadFile);

function only<T extends Manifest>(kind: string): T {
  const found = manifests.filter((m) => m.kind === kind);
  expect(found).toHaveLength(1);
  return found[0] as T;
}

const deployment = () => only<Deployment>('Deployment');
const container = () => {
  const containers = deployment().spec.template.spec.containers;
  expect(containers).toHaveLength(1);
  return containers[0] as Container;
};
const envOf = (c: Container) => new Map((c.env ?? []).map((e) => [e.name, e]));

describe('deploy/kubernetes', () => {
  it('lists every manifest of the folder in kustomization.yaml, each one object of a known kind', () => {
    const files = readdirSync(MANIFESTS).filter((f) => /\.ya?ml$/.test(f) && f !== 'kustomization.yaml');
    expect([...kustomization.resources].sort()).toEqual(files.sort());
    expect(manifests.map((m) => m.kind).sort()).toEqual(['Deployment', 'Namespace', 'PersistentVolumeClaim', 'Role', 'RoleBinding', 'Service', 'ServiceAccount']);
  });

  it('puts everything namespaced in the namespace it creates', () => {
    const namespace = only<Manifest>('Namespace').metadata.name;
    expect(kustomization.namespace).toBe(namespace);
    for (const m of manifests.filter((m) => m.kind !== 'Namespace')) expect(m.metadata.namespace).toBe(namespace);
  });

  it("grants the Role exactly the Kubernetes runtime's permissions: no more, no less", () => {
    const role = only<Role>('Role');
    // Plain copies on both sides (the deserialised rules are V1PolicyRule objects), with
    // every list and the rules in one order: RBAC rules are sets.
    const canonical = (rules: readonly unknown[]) =>
      (JSON.parse(JSON.stringify(rules)) as Record<string, unknown>[])
        .map((rule) => Object.fromEntries(Object.entries(rule).map(([k, v]) => [k, Array.isArray(v) ? [...(v as string[])].sort() : v])))
        .sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b)));
    expect(canonical(role.rules)).toEqual(canonical(KUBERNETES_PERMISSIONS));
    expect(role.apiVersion).toBe('rbac.authorization.k8s.io/v1');
  });

  it("binds that Role to the service account the Deployment's pods run as", () => {
    const role = only<Role>('Role');
    const binding = only<RoleBinding>('RoleBinding');
    const account = only<Manifest>('ServiceAccount');
    expect(binding.roleRef).toEqual({ apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: role.metadata.name });
    expect(binding.metadata.namespace).toBe(role.metadata.namespace);
    expect(binding.subjects).toEqual([{ kind: 'ServiceAccount', name: account.metadata.name, namespace: account.metadata.namespace }]);
    expect(deployment().spec.template.spec.serviceAccountName).toBe(account.metadata.name);
    expect(deployment().metadata.namespace).toBe(account.metadata.namespace);
  });

  it('probes /healthz (liveness) and /readyz (readiness) on the port Porthole listens on', () => {
    const c = container();
    const listening = Number(envOf(c).get('PORTHOLE_PORT')?.value ?? 8080);
    const portNumber = (port: number | string | undefined) =>
      typeof port === 'number' ? port : c.ports?.find((p) => p.name === port)?.containerPort;
    expect(c.ports?.map((p) => p.containerPort)).toEqual([listening]);
    expect(c.livenessProbe?.httpGet?.path).toBe('/healthz');
    expect(portNumber(c.livenessProbe?.httpGet?.port)).toBe(listening);
    expect(c.readinessProbe?.httpGet?.path).toBe('/readyz');
    expect(portNumber(c.readinessProbe?.httpGet?.port)).toBe(listening);
  });

  it('runs the container as a non-root user, unprivileged, on a read-only root filesystem', () => {
    const pod = deployment().spec.template.spec.securityContext ?? {};
    const c = container().securityContext ?? {};
    expect(c.runAsNonRoot ?? pod.runAsNonRoot).toBe(true);
    // The image says `USER node`: the kubelet can only verify runAsNonRoot with a numeric uid.
    const uid = c.runAsUser ?? pod.runAsUser;
    expect(uid).toEqual(expect.any(Number));
    expect(uid).not.toBe(0);
    expect(c.allowPrivilegeEscalation).toBe(false);
    expect(c.readOnlyRootFilesystem).toBe(true);
    expect(c.privileged ?? false).toBe(false);
    expect(c.capabilities?.drop).toContain('ALL');
    expect(c.capabilities?.add ?? []).toEqual([]);
    expect(container().resources?.requests).toBeDefined();
    expect(container().resources?.limits?.['memory']).toBeDefined();
  });

  it('sets PORTHOLE_RUNTIME=kubernetes, takes the admin token from a Secret, and passes the server\'s own config check', () => {
    const env = envOf(container());
    expect(env.get('PORTHOLE_RUNTIME')?.value).toBe('kubernetes');
    const token = env.get('PORTHOLE_ADMIN_TOKEN');
    expect(token?.value).toBeUndefined();
    expect(token?.valueFrom?.secretKeyRef).toEqual({ name: expect.any(String), key: expect.any(String) });
    const literal = Object.fromEntries([...env.values()].filter((e) => e.value !== undefined).map((e) => [e.name, e.value]));
    const config = parseConfig(literal);
    expect(config.runtime).toBe('kubernetes');
    expect(config.host).toBe('0.0.0.0'); // reachable through the Service, not only from inside the pod
  });

  it("keeps the forwards' database on a persistent volume at the image's PORTHOLE_DATA_DIR, writable by the pod's user", () => {
    const dataDir = /PORTHOLE_DATA_DIR=(\S+)/.exec(readFileSync(path.join(ROOT, 'Dockerfile'), 'utf8'))?.[1];
    expect(dataDir).toBe('/data');
    expect(envOf(container()).get('PORTHOLE_DATA_DIR')).toBeUndefined(); // the image's default
    const mount = container().volumeMounts?.find((m) => m.mountPath === dataDir);
    const volume = deployment().spec.template.spec.volumes?.find((v) => v.name === mount?.name);
    const claim = only<Manifest & { spec: { accessModes: string[] } }>('PersistentVolumeClaim');
    expect(volume?.persistentVolumeClaim?.claimName).toBe(claim.metadata.name);
    expect(claim.spec.accessModes).toEqual(['ReadWriteOnce']);
    expect(deployment().spec.template.spec.securityContext?.fsGroup).toBe(deployment().spec.template.spec.securityContext?.runAsGroup);
  });

  it('selects its own pods, and the Service reaches the container port', () => {
    const d = deployment();
    const labels = d.spec.template.metadata.labels;
    expect(labels).toEqual(expect.objectContaining(d.spec.selector.matchLabels));
    expect(d.spec.replicas).toBe(1); // one process owns the forwards' database
    const service = only<Service>('Service');
    expect(labels).toEqual(expect.objectContaining(service.spec.selector));
    const ports = container().ports ?? [];
    for (const { targetPort } of service.spec.ports) {
      expect(ports.some((p) => p.name === targetPort || p.containerPort === targetPort)).toBe(true);
    }
  });
});
