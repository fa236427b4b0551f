import type { LifecycleEvent } from '@porthole/core';
import type { CoreV1Api, V1Pod, Watch } from '@kubernetes/client-node';
import { canonicalIdOf, incarnationOf, isTerminated } from './pod-container';
import { classifyApiError, describeApiError } from './kubernetes-errors';
import type { RuntimeFailure } from '@porthole/core';
import type { ResolvedKubernetesRuntimeOptions } from './kubernetes-runtime-options';

/** A watch event's object: a pod, or a Status for ERROR events. */
interface WatchObject {
  readonly code?: number;
  readonly metadata?: { readonly resourceVersion?: string };
}

// A watch that lasted this long was healthy: the next failure starts the backoff over.
const HEALTHY_MS = 5000;

/**
 * The namespace's pods, watched: a pod deleted, terminating or finished becomes a
 * 'stopped' event for its id. The client library has no timeout of its own and ends
 * a watch whenever the server does, so every end is followed by a new watch, with
 * backoff, from the last resourceVersion seen; after `410 Gone` (that version is too
 * old) it starts over from a fresh list. Every watch after the first is announced as
 * 'resumed', so that the core reconciles what it may have missed meanwhile.
 */
export class PodWatch {
  private resourceVersion: string | undefined;
  private abort: AbortController | undefined;
  private timer: NodeJS.Timeout | undefined;
  private delayMs: number;
  private started = false;
  private stopped = false;
  /**
   * Why the watch is not open, while it is failing (RBAC, an unreachable API): readiness
   * reports it, since pods that end meanwhile are only noticed once it is back.
   */
  failure: RuntimeFailure | undefined;
  /** Pods already announced as stopped (by uid): MODIFIED events of a terminating pod repeat. */
  private readonly announced = new Set<string>();
  /** The life (incarnationOf) each pod seen was last in, by uid: an owner label can change. */
  private readonly lives = new Map<string, string>();

  constructor(
    private readonly api: CoreV1Api,
    private readonly watcher: Watch,
    private readonly listener: (event: LifecycleEvent) => void,
    private readonly options: ResolvedKubernetesRuntimeOptions,
  ) {
    this.delayMs = options.reconnectMinMs;
  }

  start(): void {
    void this.open();
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
    this.abort?.abort();
  }

  private async open(): Promise<void> {
    if (this.stopped) return;
    const openedAt = Date.now();
    // client-node's watch() resolves even when the request failed, having called `done`
    // first: only a watch still open afterwards is a resumption.
    let ended = false;
    try {
      if (this.resourceVersion === undefined) {
        // Where to watch from: the list's resourceVersion (one item is enough to get it).
        const list = await this.api.listNamespacedPod({ namespace: this.options.namespace, limit: 1 });
        this.resourceVersion = list.metadata?.resourceVersion;
      }
      const abort = await this.watcher.watch(
        `/api/v1/namespaces/${encodeURIComponent(this.options.namespace)}/pods`,
        { resourceVersion: this.resourceVersion, allowWatchBookmarks: true },
        (type: string, object: unknown) => this.onEvent(type, object as V1Pod & WatchObject),
        (error: unknown) => {
          ended = true;
          this.onDone(error, openedAt);
        },
      );
      if (this.stopped) {
        abort.abort();
        return;
      }
      if (ended) return;
      this.abort = abort;
      this.failure = undefined;
      if (this.started) {
        this.options.log({ level: 'info', msg: 'watching pods again' });
        this.listener({ type: 'resumed' });
      }
      this.started = true;
    } catch (error) {
      this.retry(error, openedAt);
    }
  }

  private onEvent(type: string, object: V1Pod & WatchObject): void {
    if (this.stopped) return;
    if (type === 'ERROR') {
      // 410 Gone: the version we watch from is too old; the watch ends next.
      if (object.code === 410) this.resourceVersion = undefined;
      return;
    }
    const version = object.metadata?.resourceVersion;
    if (version !== undefined) this.resourceVersion = version;
    this.delayMs = this.options.reconnectMinMs;
    if (type === 'BOOKMARK') return;
    const uid = object.metadata?.uid ?? '';
    const gone = type === 'DELETED' || ((type === 'MODIFIED' || type === 'ADDED') && isTerminated(object));
    if (!gone) {
      this.noteLife(uid, object);
      return;
    }
    this.lives.delete(uid);
    if (this.announced.has(uid)) return;
    this.announced.add(uid);
    if (this.announced.size > 10_000) this.announced.clear();
    const reason = type === 'DELETED' ? 'pod deleted' : object.metadata?.deletionTimestamp != null ? 'pod terminating' : `pod ${object.status?.phase?.toLowerCase() ?? 'ended'}`;
    this.listener({ type: 'stopped', containerId: canonicalIdOf(object), reason });
  }

  /**
   * A pod whose owner label changed is in a new life: its forwards for the old owner go
   * (the lifecycle removes every forward but the running life's). A pod first seen
   * since start-up has no earlier life here; a dial tells its forwards apart then.
   */
  private noteLife(uid: string, pod: V1Pod): void {
    const life = incarnationOf(pod);
    const before = this.lives.get(uid);
    if (before === undefined && this.lives.size >= 10_000) this.lives.clear();
    this.lives.set(uid, life);
    if (before !== undefined && before !== life) this.listener({ type: 'stopped', containerId: canonicalIdOf(pod), reason: 'pod owner label changed' });
  }

  private onDone(error: unknown, openedAt: number): void {
    if (this.stopped) return;
    this.abort = undefined;
    const status = (error as { statusCode?: number } | null)?.statusCode;
    if (status === 410) this.resourceVersion = undefined;
    this.retry(error ?? undefined, openedAt);
  }

  private retry(error: unknown, openedAt: number): void {
    if (this.stopped) return;
    if (Date.now() - openedAt >= HEALTHY_MS) this.delayMs = this.options.reconnectMinMs;
    const retryInMs = this.delayMs;
    this.delayMs = Math.min(this.delayMs * 2, this.options.reconnectMaxMs);
    if (error === undefined) {
      this.options.log({ level: 'debug', msg: 'pod watch ended; watching again', retryInMs });
    } else {
      const outcome = classifyApiError(error, `watching pods in ${this.options.namespace}`, `watch pods in namespace ${this.options.namespace}`);
      const message = outcome.kind === 'failure' ? outcome.failure.message : describeApiError(error);
      if (outcome.kind === 'failure') this.failure = outcome.failure;
      this.options.log({ level: 'warn', msg: `pod watch failed: ${message}`, retryInMs });
    }
    this.timer = setTimeout(() => void this.open(), retryInMs);
  }
}
