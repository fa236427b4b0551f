import { createHash, randomBytes, randomUUID } from 'node:crypto';

export type FakePodPhase = 'Pending' | 'Running' | 'Succeeded' | 'Failed';

/** A pod to seed or change. On an update, what is left out keeps its previous value. */
export interface FakePodSpec {
  name: string;
  /** Default: the server's namespace. */
  namespace?: string;
  labels?: Record<string, string>;
  /** Default 'Running'. Pending means scheduled but its sandbox not up yet (ContainerCreating). */
  phase?: FakePodPhase;
  /** Default true. Only a Running pod is ever ready: in other phases it is always false. */
  ready?: boolean;
  /** Default '127.0.0.1'. A Pending pod shows none yet. */
  podIP?: string;
  /** Sets metadata.deletionTimestamp (graceful deletion under way). */
  deleting?: boolean;
  /** Default 0. Raising it restarts the container: a new containerID and startedAt. */
  restartCount?: number;
}

export interface FakePodCondition {
  type: string;
  status: 'True' | 'False';
  lastTransitionTime: string;
}

export interface FakeContainerStatus {
  name: string;
  image: string;
  imageID: string;
  containerID?: string;
  ready: boolean;
  started: boolean;
  restartCount: number;
  state:
    | { running: { startedAt: string } }
    | { waiting: { reason: string } }
    | { terminated: { exitCode: number; reason: string; startedAt: string; finishedAt: string; containerID: string } };
}

/** A Pod as the API server serves it (JSON; what client-node turns into a V1Pod). */
export interface FakePod {
  apiVersion: 'v1';
  kind: 'Pod';
  metadata: {
    name: string;
    namespace: string;
    uid: string;
    resourceVersion: string;
    creationTimestamp: string;
    /** Left out when the pod has none, as the real server does. */
    labels?: Record<string, string>;
    deletionTimestamp?: string;
    deletionGracePeriodSeconds?: number;
  };
  spec: {
    containers: { name: string; image: string }[];
    nodeName: string;
    restartPolicy: 'Always';
  };
  status: {
    phase: FakePodPhase;
    conditions: FakePodCondition[];
    hostIP: string;
    podIP?: string;
    podIPs?: { ip: string }[];
    startTime: string;
    containerStatuses: FakeContainerStatus[];
  };
}

export interface PodEvent {
  readonly type: 'ADDED' | 'MODIFIED' | 'DELETED';
  readonly resourceVersion: number;
  readonly object: FakePod;
  /** The pod before a MODIFIED event, so that a filtered watch can tell entering from leaving. */
  readonly previous?: FakePod;
}

interface PodLife {
  spec: Required<Omit<FakePodSpec, 'labels'>> & { labels: Record<string, string> };
  uid: string;
  createdAt: string;
  startedAt: string;
  finishedAt: string | undefined;
  containerId: string;
  deletionTimestamp: string | undefined;
  /** As served; replaced, never changed, so that events keep their snapshot. */
  pod?: FakePod;
}

const IMAGE = 'registry.example/porthole/app:1.0';
const NODE = 'fake-node-1';
const HOST_IP = '192.0.2.10';

/** RFC 3339 in whole seconds, as Kubernetes writes timestamps. */
export function kubeTime(date = new Date()): string {
  return date.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

const newContainerId = (): string => `containerd://${randomBytes(32).toString('hex')}`;

/** The sandbox id a CRI runtime shows in port-forward errors, stable for a pod's life. */
export function sandboxIdOf(pod: FakePod): string {
  return createHash('sha256').update(pod.metadata.uid).digest('hex');
}

/**
 * The pods of every namespace, with one resourceVersion counter for all (as etcd has) and
 * the history of changes since the last compaction, for watches that start from a version.
 */
export class FakePodStore {
  private readonly lives = new Map<string, PodLife>();
  private history: PodEvent[] = [];
  private readonly listeners = new Set<(event: PodEvent) => void>();
  private version = 1;
  /** Versions below this one are compacted away: asking for them answers 410. */
  private compactedBelow = 0;

  get resourceVersion(): number {
    return this.version;
  }

  get oldestVersion(): number {
    return this.compactedBelow;
  }

  onEvent(listener: (event: PodEvent) => void): void {
    this.listeners.add(listener);
  }

  upsert(input: FakePodSpec, namespace: string): FakePod {
    const key = keyOf(input.namespace ?? namespace, input.name);
    const life = this.lives.get(key);
    const now = kubeTime();
    if (life === undefined) {
      const spec = withDefaults(input, namespace);
      const created: PodLife = {
        spec,
        uid: randomUUID(),
        createdAt: now,
        startedAt: now,
        finishedAt: spec.phase === 'Succeeded' || spec.phase === 'Failed' ? now : undefined,
        containerId: newContainerId(),
        deletionTimestamp: spec.deleting ? now : undefined,
      };
      this.lives.set(key, created);
      return this.commit('ADDED', created);
    }
    const before = life.spec;
    const spec = { ...before, ...definedFields(input), labels: input.labels ?? before.labels };
    const restarted = spec.restartCount !== before.restartCount || (spec.phase === 'Running' && before.phase !== 'Running');
    if (restarted) {
      life.startedAt = now;
      life.containerId = newContainerId();
    }
    if ((spec.phase === 'Succeeded' || spec.phase === 'Failed') && spec.phase !== before.phase) life.finishedAt = now;
    if (spec.deleting && life.deletionTimestamp === undefined) life.deletionTimestamp = now;
    if (!spec.deleting) life.deletionTimestamp = undefined;
    life.spec = spec;
    return this.commit('MODIFIED', life);
  }

  delete(name: string, namespace: string): boolean {
    const key = keyOf(namespace, name);
    const life = this.lives.get(key);
    if (life?.pod === undefined) return false;
    this.lives.delete(key);
    this.version++;
    // The DELETED event carries the last state, at the version of the deletion.
    const object = structuredClone(life.pod);
    object.metadata.resourceVersion = String(this.version);
    this.publish({ type: 'DELETED', resourceVersion: this.version, object });
    return true;
  }

  get(name: string, namespace: string): FakePod | undefined {
    return this.lives.get(keyOf(namespace, name))?.pod;
  }

  /** In etcd's key order (namespace, then name); every namespace when `namespace` is ''. */
  list(namespace: string): FakePod[] {
    return [...this.lives.entries()]
      .filter(([, life]) => namespace === '' || life.spec.namespace === namespace)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .flatMap(([, life]) => (life.pod === undefined ? [] : [life.pod]));
  }

  /** The changes after `version`, oldest first. */
  eventsAfter(version: number): PodEvent[] {
    return this.history.filter((event) => event.resourceVersion > version);
  }

  /** Forgets the history, as an etcd compaction does: older versions answer 410 from now on. */
  compact(): void {
    this.compactedBelow = this.version;
    this.history = [];
  }

  private commit(type: 'ADDED' | 'MODIFIED', life: PodLife): FakePod {
    this.version++;
    const previous = life.pod;
    const pod = render(life, this.version);
    life.pod = pod;
    this.publish({ type, resourceVersion: this.version, object: pod, ...(previous && { previous }) });
    return pod;
  }

  private publish(event: PodEvent): void {
    this.history.push(event);
    for (const listener of this.listeners) listener(event);
  }
}

function keyOf(namespace: string, name: string): string {
  return `${namespace}/${name}`;
}

function definedFields(spec: FakePodSpec): Partial<FakePodSpec> {
  return Object.fromEntries(Object.entries(spec).filter(([, value]) => value !== undefined));
}

function withDefaults(spec: FakePodSpec, namespace: string): PodLife['spec'] {
  return {
    name: spec.name,
    namespace: spec.namespace ?? namespace,
    labels: spec.labels ?? {},
    phase: spec.phase ?? 'Running',
    ready: spec.ready ?? true,
    podIP: spec.podIP ?? '127.0.0.1',
    deleting: spec.deleting ?? false,
    restartCount: spec.restartCount ?? 0,
  };
}

function render(life: PodLife, version: number): FakePod {
  const { spec } = life;
  const running = spec.phase === 'Running';
  const ready = running && spec.ready;
  const started = spec.phase !== 'Pending';
  const flag = (on: boolean): 'True' | 'False' => (on ? 'True' : 'False');
  const condition = (type: string, on: boolean): FakePodCondition => ({ type, status: flag(on), lastTransitionTime: life.startedAt });
  const state: FakeContainerStatus['state'] = running
    ? { running: { startedAt: life.startedAt } }
    : spec.phase === 'Pending'
      ? { waiting: { reason: 'ContainerCreating' } }
      : {
          terminated: {
            exitCode: spec.phase === 'Succeeded' ? 0 : 1,
            reason: spec.phase === 'Succeeded' ? 'Completed' : 'Error',
            startedAt: life.startedAt,
            finishedAt: life.finishedAt ?? life.startedAt,
            containerID: life.containerId,
          },
        };
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name: spec.name,
      namespace: spec.namespace,
      uid: life.uid,
      resourceVersion: String(version),
      creationTimestamp: life.createdAt,
      ...(Object.keys(spec.labels).length > 0 && { labels: { ...spec.labels } }),
      ...(life.deletionTimestamp !== undefined && { deletionTimestamp: life.deletionTimestamp, deletionGracePeriodSeconds: 30 }),
    },
    spec: { containers: [{ name: 'app', image: IMAGE }], nodeName: NODE, restartPolicy: 'Always' },
    status: {
      phase: spec.phase,
      conditions: [
        condition('PodReadyToStartContainers', started),
        condition('Initialized', true),
        condition('Ready', ready),
        condition('ContainersReady', ready),
        condition('PodScheduled', true),
      ],
      hostIP: HOST_IP,
      ...(started && { podIP: spec.podIP, podIPs: [{ ip: spec.podIP }] }),
      startTime: life.createdAt,
      containerStatuses: [
        {
          name: 'app',
          image: IMAGE,
          imageID: `${IMAGE}@sha256:${'0'.repeat(64)}`,
          ...(started && { containerID: life.containerId }),
          ready,
          started: running,
          restartCount: spec.restartCount,
          state,
        },
      ],
    },
  };
}
