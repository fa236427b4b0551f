import type { ServerResponse } from 'node:http';
import type { FakePod, PodEvent } from './fake-pod-store';
import type { PodPredicate } from './pod-selectors';
import type { KubeStatus } from './kube-status';

type WatchEventType = 'ADDED' | 'MODIFIED' | 'DELETED' | 'ERROR';

/** One open watch response: NDJSON events for the pods its namespace and selectors cover. */
export class WatchStream {
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly res: ServerResponse,
    /** '' for every namespace. */
    private readonly namespace: string,
    private readonly matches: PodPredicate,
    /** The last resourceVersion this watch has seen (the one it started from, at first). */
    public lastVersion: number,
  ) {
    res.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'no-cache, private' });
    // The client waits for the headers before it reads a single event.
    res.flushHeaders();
  }

  /** Ends the response after `seconds`, as the server does with `timeoutSeconds`. */
  endAfter(seconds: number): void {
    this.timer = setTimeout(() => this.end(), seconds * 1000);
  }

  onClose(listener: () => void): void {
    this.res.once('close', () => {
      clearTimeout(this.timer);
      listener();
    });
  }

  added(pod: FakePod): void {
    if (this.covers(pod)) this.send('ADDED', pod);
  }

  /**
   * A change as this watch sees it: a pod that starts or stops matching the selectors is
   * ADDED or DELETED for it, as with the real server's filtered watches.
   */
  deliver(event: PodEvent): void {
    if (this.namespace !== '' && event.object.metadata.namespace !== this.namespace) return;
    const now = this.matches(event.object);
    const before = event.previous !== undefined && this.matches(event.previous);
    const type = event.type !== 'MODIFIED' ? (now ? event.type : undefined) : now && before ? 'MODIFIED' : now ? 'ADDED' : before ? 'DELETED' : undefined;
    this.lastVersion = event.resourceVersion;
    if (type !== undefined) this.send(type, event.object);
  }

  /** An ERROR event with the Status, then the end of the response. */
  fail(status: KubeStatus): void {
    this.send('ERROR', status);
    this.end();
  }

  end(): void {
    clearTimeout(this.timer);
    this.res.end();
  }

  private covers(pod: FakePod): boolean {
    return (this.namespace === '' || pod.metadata.namespace === this.namespace) && this.matches(pod);
  }

  private send(type: WatchEventType, object: FakePod | KubeStatus): void {
    if (!this.res.writableEnded) this.res.write(`${JSON.stringify({ type, object })}\n`);
  }
}
