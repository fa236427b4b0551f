import {
  RuntimeFailure,
  type ContainerRuntime,
  type DialTarget,
  type LifecycleEvent,
  type RuntimeContainer,
  type Unsubscribe,
} from '@porthole/core';
import { CoreV1Api, PortForward, Watch, type KubeConfig, type V1Pod } from '@kubernetes/client-node';
import type { Duplex } from 'node:stream';
import { CONTAINER_ID_LABEL, canonicalIdOf, isLabelValue, isPodName, toRuntimeContainer } from './pod-container';
import { dialDirect, dialThroughApiServer } from './pod-dialer';
import { classifyApiError } from './kubernetes-errors';
import { resolveKubernetesOptions, type KubernetesRuntimeOptions, type ResolvedKubernetesRuntimeOptions } from './kubernetes-runtime-options';
import { PodWatch } from './pod-watch';

/**
 * The API calls this adapter makes, as RBAC rules. deploy/kubernetes/role.yaml grants
 * exactly these, and tests hold the two together and check the adapter's requests.
 * A port-forward over WebSocket is a GET upgrade: API servers authorize it as `get` on
 * pods/portforward, and recent versions check `create` too (as for SPDY's POST),
 * so both are needed to work across versions.
 */
export const KUBERNETES_PERMISSIONS = [
  { apiGroups: [''], resources: ['pods'], verbs: ['get', 'list', 'watch'] },
  { apiGroups: [''], resources: ['pods/portforward'], verbs: ['create', 'get'] },
] as const;

/**
 * Porthole's ContainerRuntime on Kubernetes: a "container" is a pod of one namespace,
 * named by its `porthole.dev/container-id` label or by its name. Pods are read fresh on
 * every dial, dialed at the address the API reports (the pod IP) or through the API
 * server's port-forward, and watched for their end. No client-node error crosses this
 * class: every failure is a RuntimeFailure.
 */
export class KubernetesContainerRuntime implements ContainerRuntime {
  private readonly options: ResolvedKubernetesRuntimeOptions;
  private readonly api: CoreV1Api;
  private readonly watches = new Set<PodWatch>();

  constructor(
    private readonly kubeConfig: KubeConfig,
    options: KubernetesRuntimeOptions,
  ) {
    this.options = resolveKubernetesOptions(options);
    this.api = kubeConfig.makeApiClient(CoreV1Api);
  }

  async find(ref: string): Promise<RuntimeContainer | null> {
    const pod = await this.lookup(ref);
    return pod === null ? null : toRuntimeContainer(pod);
  }

  async dial(target: DialTarget): Promise<Duplex> {
    const { containerId, incarnation, port } = target;
    // Read fresh on every dial: only an address the API reports now is ever dialed.
    const pod = await this.lookup(containerId);
    if (pod === null || canonicalIdOf(pod) !== containerId) {
      throw new RuntimeFailure('gone', `pod ${containerId} no longer exists`);
    }
    const container = toRuntimeContainer(pod);
    if (container.incarnation !== incarnation) {
      throw new RuntimeFailure('gone', `pod ${containerId} was replaced since the forward was made`);
    }
    if (!container.running) throw new RuntimeFailure('gone', `pod ${containerId} is ${container.state}`);
    const name = pod.metadata?.name ?? containerId;
    const what = `pod ${this.options.namespace}/${name}`;
    if (this.options.dialMode === 'apiserver') {
      return dialThroughApiServer(new PortForward(this.kubeConfig), {
        namespace: this.options.namespace,
        pod: name,
        port,
        settleMs: this.options.portForwardSettleMs,
      });
    }
    const podIP = pod.status?.podIP;
    if (podIP === undefined || podIP === '') throw new RuntimeFailure('gone', `${what} has no IP address`);
    return dialDirect(podIP, port, this.options.connectTimeoutMs, what);
  }

  watch(listener: (event: LifecycleEvent) => void): Unsubscribe {
    const watch = new PodWatch(this.api, new Watch(this.kubeConfig), listener, this.options);
    this.watches.add(watch);
    watch.start();
    return () => {
      this.watches.delete(watch);
      watch.stop();
    };
  }

  /** The API answers, and no watch is failing (else ended pods would go unnoticed). */
  async ping(): Promise<void> {
    await this.call('list pods', `listing pods in ${this.options.namespace}`, () =>
      this.api.listNamespacedPod({ namespace: this.options.namespace, limit: 1 }),
    );
    for (const watch of this.watches) if (watch.failure !== undefined) throw watch.failure;
  }

  /**
   * The pod a reference names: the one pod carrying it as its container-id label (the
   * live one when an old one is still terminating), else the pod of that name.
   */
  private async lookup(ref: string): Promise<V1Pod | null> {
    const namespace = this.options.namespace;
    if (isLabelValue(ref)) {
      const list = await this.call('list pods', `looking up pod ${ref}`, () =>
        this.api.listNamespacedPod({ namespace, labelSelector: `${CONTAINER_ID_LABEL}=${ref}` }),
      );
      const pods = list?.items ?? [];
      const live = pods.filter((pod) => pod.metadata?.deletionTimestamp == null);
      if (live.length === 1) return live[0] ?? null;
      if (pods.length === 1) return pods[0] ?? null;
    }
    if (!isPodName(ref)) return null;
    return this.call('get pods', `reading pod ${ref}`, () => this.api.readNamespacedPod({ name: ref, namespace }));
  }

  /** One API request under the request timeout; 404 is null, anything else a RuntimeFailure. */
  private async call<T>(permission: string, doing: string, request: () => Promise<T>): Promise<T | null> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_resolve, reject) => {
      timer = setTimeout(
        () => reject(new RuntimeFailure('unavailable', `the Kubernetes API did not answer within ${this.options.requestTimeoutMs} ms while ${doing}`)),
        this.options.requestTimeoutMs,
      );
    });
    try {
      return await Promise.race([request(), timeout]);
    } catch (error) {
      if (error instanceof RuntimeFailure) throw error;
      const outcome = classifyApiError(error, doing, `${permission} in namespace ${this.options.namespace}`);
      if (outcome.kind === 'not_found') return null;
      throw outcome.failure;
    } finally {
      clearTimeout(timer);
    }
  }
}
