import { once } from 'node:events';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createServer, type Server } from 'node:https';
import type { AddressInfo, Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import type { Cluster, Context, User } from '@kubernetes/client-node';
import { WebSocketServer } from 'ws';
import { writeKubeconfig, writeServiceAccount, type ServiceAccountFiles } from './kube-config-files';
import { FakePodStore, type FakePod, type FakePodSpec, type PodEvent } from './fake-pod-store';
import {
  badRequest,
  expired,
  forbidden,
  kubeStatus,
  noSuchResource,
  podNotFound,
  refuseUpgrade,
  sendJson,
  sendStatus,
  unauthorized,
  type KubeStatus,
} from './kube-status';
import { nameInFieldSelector, QueryError, type PodPredicate } from './pod-selectors';
import { parseContinue, podFilter, podRoute, resourceVersionOf, verbOf, type KubeVerb } from './pod-request';
import { servePortForward, type PortTarget } from './port-forward-session';
import { selfSignedCertificate } from './self-signed-certificate';
import { WatchStream } from './watch-stream';

export type { KubeVerb } from './pod-request';

export interface FakeKubeApiServerOptions {
  /** The bearer token every request must carry. Default: a fixed test token. */
  token?: string;
  /** The default namespace (kubeconfig context, pods without one). Default 'porthole-test'. */
  namespace?: string;
  /** The user named in 403 messages. Default: `system:serviceaccount:<namespace>:porthole`. */
  user?: string;
}

/** One authorization check, as the real server makes it for a request. */
export interface RecordedRequest {
  readonly verb: KubeVerb;
  /** 'pods' or 'pods/portforward'. */
  readonly resource: string;
  /** '' for a request across all namespaces. */
  readonly namespace: string;
  /** The pod's name, also for a list or watch narrowed by `fieldSelector=metadata.name=x`. */
  readonly name?: string;
}

export interface KubeConfigOptions {
  readonly clusters: Cluster[];
  readonly users: User[];
  readonly contexts: Context[];
  readonly currentContext: string;
}

const PORT_FORWARD_PROTOCOL = 'v4.channel.k8s.io';
const HEALTH_PATHS = new Set(['/healthz', '/livez', '/readyz']);
const VERSION = { major: '1', minor: '35', gitVersion: 'v1.35.0-fake', platform: 'linux/amd64' };

/**
 * A kube-apiserver at the protocol level, in memory, for the real @kubernetes/client-node:
 * pods (get, list, watch) and pods/portforward over HTTPS with a self-signed certificate
 * and a bearer token. Tests seed and change pods, inject failures (RBAC, compaction,
 * outage, a refused port) and read back every request's RBAC verb.
 * What it must serve: ../shared/recipes/kubernetes-testing.md, from the repository root.
 */
export class FakeKubeApiServer {
  private readonly store = new FakePodStore();
  private readonly watches = new Set<WatchStream>();
  private readonly clientSockets = new Set<Socket>();
  private readonly podSockets = new Set<Socket>();
  private readonly denied = new Set<string>();
  private readonly portTargets = new Map<string, PortTarget>();
  private readonly recorded: RecordedRequest[] = [];
  private readonly wss = new WebSocketServer({
    noServer: true,
    perMessageDeflate: false,
    handleProtocols: (offered) => (offered.has(PORT_FORWARD_PROTOCOL) ? PORT_FORWARD_PROTOCOL : false),
  });
  private unavailable = false;

  static async start(options: FakeKubeApiServerOptions = {}): Promise<FakeKubeApiServer> {
    const { key, cert } = await selfSignedCertificate();
    const server = createServer({ key, cert });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    return new FakeKubeApiServer(server, cert, options);
  }

  readonly url: string;
  readonly caData: string;
  readonly token: string;
  readonly namespace: string;
  private readonly user: string;

  private constructor(
    private readonly server: Server,
    cert: string,
    options: FakeKubeApiServerOptions,
  ) {
    this.url = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
    this.caData = Buffer.from(cert).toString('base64');
    this.token = options.token ?? 'porthole-test-token';
    this.namespace = options.namespace ?? 'porthole-test';
    this.user = options.user ?? `system:serviceaccount:${this.namespace}:porthole`;
    server.on('connection', (socket: Socket) => this.onConnection(socket));
    // A bug here answers 500 to the client rather than crashing the test process.
    const internalError = (error: unknown): KubeStatus => kubeStatus(500, 'InternalError', `fake kube-apiserver: ${String(error)}`);
    server.on('request', (req: IncomingMessage, res: ServerResponse) => {
      try {
        this.onRequest(req, res);
      } catch (error) {
        if (!res.headersSent) sendStatus(res, internalError(error));
        else res.destroy();
      }
    });
    server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
      try {
        this.onUpgrade(req, socket, head);
      } catch (error) {
        refuseUpgrade(socket, internalError(error));
      }
    });
    this.store.onEvent((event: PodEvent) => {
      for (const watch of this.watches) watch.deliver(event);
    });
  }

  /** For `KubeConfig.loadFromOptions`: this server, its CA, the token, the namespace. */
  kubeConfigOptions(): KubeConfigOptions {
    return {
      clusters: [{ name: 'fake-kube-apiserver', server: this.url, caData: this.caData, skipTLSVerify: false }],
      users: [{ name: 'porthole', token: this.token }],
      contexts: [{ name: 'porthole-test', cluster: 'fake-kube-apiserver', user: 'porthole', namespace: this.namespace }],
      currentContext: 'porthole-test',
    };
  }

  /** Writes `<dir>/kubeconfig` (for KUBECONFIG in process-level tests) and returns its path. */
  writeKubeconfig(dir: string): string {
    return writeKubeconfig(dir, this);
  }

  /**
   * Writes the files a pod's service account mounts under `<root>/var/run/secrets/...`, for
   * `KubeConfig.loadFromCluster(pathPrefix)` with `env` set in process.env.
   */
  writeServiceAccount(root: string): ServiceAccountFiles {
    return writeServiceAccount(root, this);
  }

  /** Creates the pod (ADDED, new uid) or changes it (MODIFIED; fields left out stay as they were). */
  upsertPod(spec: FakePodSpec): FakePod {
    return structuredClone(this.store.upsert(spec, this.namespace));
  }

  /** Removes the pod at once (DELETED). Throws when there is no such pod. */
  deletePod(name: string, namespace = this.namespace): void {
    if (!this.store.delete(name, namespace)) throw new Error(`no pod ${namespace}/${name} to delete`);
  }

  /** The pod as served now (a copy), or undefined. */
  pod(name: string, namespace = this.namespace): FakePod | undefined {
    const pod = this.store.get(name, namespace);
    return pod === undefined ? undefined : structuredClone(pod);
  }

  /**
   * Where port `port` of the pod is really served; by default its podIP and that port.
   * 'refuse': the error channel reports "error forwarding port ..." and the WebSocket closes.
   */
  setPortTarget(podName: string, port: number, target: PortTarget, namespace = this.namespace): void {
    this.portTargets.set(`${namespace}/${podName}:${port}`, target);
  }

  /** Ends every open watch response: the client's done(null). */
  closeWatches(): void {
    for (const watch of this.watches) watch.end();
    this.watches.clear();
  }

  /**
   * Compacts the history: every open watch gets an ERROR event with a 410 Status and ends,
   * and a watch from an older resourceVersion (or an Exact list, or a continue token from
   * before) answers 410 too. A fresh list's resourceVersion works again.
   */
  expireWatches(): void {
    this.store.compact();
    for (const watch of this.watches) watch.fail(this.tooOld(watch.lastVersion));
    this.watches.clear();
  }

  /** Later checks of `verb` on `resource` ('pods', 'pods/portforward') answer 403. */
  forbid(verb: KubeVerb, resource: string): void {
    this.denied.add(`${verb} ${resource}`);
  }

  allow(verb: KubeVerb, resource: string): void {
    this.denied.delete(`${verb} ${resource}`);
  }

  /**
   * While on, every connection is destroyed as soon as it is made, and the open ones
   * (watches, port-forwards) are cut: clients see ECONNRESET, not a status.
   */
  setUnavailable(on: boolean): void {
    this.unavailable = on;
    if (!on) return;
    for (const socket of this.clientSockets) socket.destroy();
    this.watches.clear();
  }

  /** Every authorization check made so far (a port-forward makes two: get and create). */
  get requests(): readonly RecordedRequest[] {
    return this.recorded;
  }

  get openWatches(): number {
    return this.watches.size;
  }

  async close(): Promise<void> {
    this.closeWatches();
    for (const ws of this.wss.clients) ws.terminate();
    for (const socket of this.podSockets) socket.destroy();
    for (const socket of this.clientSockets) socket.destroy();
    this.wss.close();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private onConnection(socket: Socket): void {
    if (this.unavailable) {
      socket.destroy();
      return;
    }
    this.clientSockets.add(socket);
    socket.once('close', () => this.clientSockets.delete(socket));
  }

  private authenticated(req: IncomingMessage): boolean {
    return req.headers.authorization === `Bearer ${this.token}`;
  }

  /** Records the check and answers the 403 Status when it is denied. */
  private authorize(check: RecordedRequest): KubeStatus | undefined {
    this.recorded.push(check);
    if (!this.denied.has(`${check.verb} ${check.resource}`)) return undefined;
    return forbidden(this.user, check.verb, check.resource, check.namespace, check.name);
  }

  private tooOld(version: number): KubeStatus {
    return expired(`too old resource version: ${version} (${this.store.oldestVersion})`);
  }

  private onRequest(req: IncomingMessage, res: ServerResponse): void {
    if (this.unavailable) {
      req.socket.destroy();
      return;
    }
    if (!this.authenticated(req)) return sendStatus(res, unauthorized());
    const url = new URL(req.url ?? '/', this.url);
    if (HEALTH_PATHS.has(url.pathname)) {
      res.writeHead(200, { 'content-type': 'text/plain; charset=utf-8' });
      return void res.end('ok');
    }
    if (url.pathname === '/version' || url.pathname === '/version/') return sendJson(res, 200, VERSION);
    const route = podRoute(url.pathname);
    if (route === undefined || (route.subresource !== undefined && route.subresource !== 'portforward')) {
      return sendStatus(res, noSuchResource());
    }
    const { namespace, name } = route;
    if (route.subresource === 'portforward') {
      // The kubelet wants a WebSocket (or SPDY) upgrade; RBAC is checked first.
      const verb = req.method === 'POST' ? 'create' : 'get';
      const denied = this.authorize({ verb, resource: 'pods/portforward', namespace, ...(name !== undefined && { name }) });
      return sendStatus(res, denied ?? badRequest('Upgrade request required'));
    }
    const verb = verbOf(req.method ?? 'GET', route, url);
    const narrowedTo = name ?? (verb === 'list' || verb === 'watch' ? nameInFieldSelector(url.searchParams.get('fieldSelector')) : undefined);
    const denied = this.authorize({ verb, resource: 'pods', namespace, ...(narrowedTo !== undefined && { name: narrowedTo }) });
    if (denied !== undefined) return sendStatus(res, denied);
    if (req.method !== 'GET') {
      return sendStatus(res, kubeStatus(405, 'MethodNotAllowed', `the fake kube-apiserver does not implement ${req.method} on pods`));
    }
    if (name !== undefined) {
      const pod = this.store.get(name, namespace);
      return pod === undefined ? sendStatus(res, podNotFound(name)) : sendJson(res, 200, pod);
    }
    let matches: PodPredicate;
    let version: number | undefined;
    try {
      matches = podFilter(url);
      version = resourceVersionOf(url);
    } catch (error) {
      if (error instanceof QueryError) return sendStatus(res, badRequest(error.message));
      throw error;
    }
    if (verb === 'watch') return this.serveWatch(res, namespace, matches, version, url);
    return this.serveList(res, namespace, matches, version, url);
  }

  private serveList(res: ServerResponse, namespace: string, matches: PodPredicate, version: number | undefined, url: URL): void {
    const oldest = this.store.oldestVersion;
    if (version !== undefined && version !== 0 && version < oldest && url.searchParams.get('resourceVersionMatch') === 'Exact') {
      return sendStatus(res, this.tooOld(version));
    }
    let start = 0;
    let listVersion = this.store.resourceVersion;
    const token = url.searchParams.get('continue');
    if (token !== null) {
      const parsed = parseContinue(token);
      if (parsed === undefined) return sendStatus(res, badRequest('continue key is not valid'));
      if (parsed.version < oldest) {
        return sendStatus(res, expired('The provided continue parameter is too old to display a consistent list result. You can start a new list without the continue parameter.'));
      }
      ({ start, version: listVersion } = parsed);
    }
    const items = this.store.list(namespace).filter(matches);
    const limit = Number(url.searchParams.get('limit') ?? '0');
    const page = limit > 0 ? items.slice(start, start + limit) : items.slice(start);
    const next = start + page.length;
    const metadata = {
      resourceVersion: String(listVersion),
      ...(next < items.length && {
        continue: Buffer.from(JSON.stringify({ v: listVersion, s: next })).toString('base64url'),
        remainingItemCount: items.length - next,
      }),
    };
    // Items of a list carry no kind or apiVersion of their own.
    const bare = page.map(({ apiVersion: _apiVersion, kind: _kind, ...pod }) => pod);
    sendJson(res, 200, { kind: 'PodList', apiVersion: 'v1', metadata, items: bare });
  }

  private serveWatch(res: ServerResponse, namespace: string, matches: PodPredicate, version: number | undefined, url: URL): void {
    const fromStart = version === undefined || version === 0;
    const watch = new WatchStream(res, namespace, matches, fromStart ? this.store.resourceVersion : version);
    if (!fromStart && version < this.store.oldestVersion) return watch.fail(this.tooOld(version));
    this.watches.add(watch);
    watch.onClose(() => this.watches.delete(watch));
    // Without a version: the current pods as ADDED, then what happens next.
    if (fromStart) for (const pod of this.store.list(namespace)) watch.added(pod);
    else for (const event of this.store.eventsAfter(version)) watch.deliver(event);
    const timeout = Number(url.searchParams.get('timeoutSeconds') ?? '0');
    if (timeout > 0) watch.endAfter(timeout);
  }

  private onUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    socket.on('error', () => undefined);
    if (this.unavailable) return void socket.destroy();
    if (!this.authenticated(req)) return refuseUpgrade(socket, unauthorized());
    const url = new URL(req.url ?? '/', this.url);
    const route = podRoute(url.pathname);
    if (route?.name === undefined || route.subresource !== 'portforward') return refuseUpgrade(socket, noSuchResource());
    const { namespace, name } = route;
    // A WebSocket upgrade is a GET, authorized as `get`; since Kubernetes 1.35 (gate
    // AuthorizePodWebsocketUpgradeCreatePermission, on by default) also as `create`.
    // https://github.com/kubernetes/kubernetes/pull/134577
    for (const verb of ['get', 'create'] as const) {
      const denied = this.authorize({ verb, resource: 'pods/portforward', namespace, name });
      if (denied !== undefined) return refuseUpgrade(socket, denied);
    }
    const pod = this.store.get(name, namespace);
    if (pod === undefined) return refuseUpgrade(socket, podNotFound(name));
    const ports = url.searchParams.getAll('ports').flatMap((value) => value.split(','));
    const port = Number(ports[0]);
    if (ports.length !== 1 || !Number.isInteger(port) || port < 1 || port > 65535) {
      return refuseUpgrade(socket, badRequest('exactly one port from 1 to 65535 is required in "ports" (the fake forwards one port per WebSocket)'));
    }
    if (pod.status.phase !== 'Running') {
      return refuseUpgrade(socket, kubeStatus(500, 'InternalError', `sandbox container of pod "${name}" is not running (phase ${pod.status.phase})`));
    }
    const target = this.portTargets.get(`${namespace}/${name}:${port}`) ?? { host: pod.status.podIP ?? '127.0.0.1', port };
    this.wss.handleUpgrade(req, socket, head, (ws) => servePortForward(ws, { port, target, pod, podSockets: this.podSockets }));
  }
}
