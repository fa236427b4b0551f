import { connect, type Socket } from 'node:net';
import { Duplex, PassThrough, Writable } from 'node:stream';
import { RuntimeFailure } from '@porthole/core';
import type { PortForward } from '@kubernetes/client-node';
import type WebSocket from 'ws';

/**
 * `direct`: connect to the pod's IP (Porthole runs inside the cluster network).
 * `apiserver`: the pods/portforward subresource, a WebSocket through the API server
 * (Porthole runs outside the cluster). Either way the caller gets one duplex stream.
 */
export type DialMode = 'direct' | 'apiserver';

/** A TCP connection to the pod IP; 'refused' when nothing accepts within `timeoutMs`. */
export function dialDirect(host: string, port: number, timeoutMs: number, what: string): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host, port });
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new RuntimeFailure('refused', `nothing accepted a connection to port ${port} of ${what} within ${timeoutMs} ms`));
    }, timeoutMs);
    socket.once('connect', () => {
      clearTimeout(timer);
      socket.removeListener('error', onError);
      // Small writes (a prompt, a keystroke) go at once.
      socket.setNoDelay(true);
      resolve(socket);
    });
    const onError = (error: Error) => {
      clearTimeout(timer);
      reject(new RuntimeFailure('refused', `nothing accepts connections on port ${port} of ${what}: ${error.message}`, { cause: error }));
    };
    socket.once('error', onError);
  });
}

export interface ApiServerDialOptions {
  readonly namespace: string;
  readonly pod: string;
  readonly port: number;
  /**
   * The v4 protocol never says "connected": the kubelet dials the port when the stream
   * opens and reports a failure on the error channel. A dial waits this long for such a
   * report before it counts as connected; a later one ends the stream with an error.
   */
  readonly settleMs: number;
}

/**
 * One port-forward WebSocket as a duplex stream. Two things client-node does not do are
 * done here: the stream ends when the WebSocket closes (else a reader would wait forever),
 * and a report on the error channel (nothing listening) fails the dial or the stream.
 */
export async function dialThroughApiServer(portForward: PortForward, options: ApiServerDialOptions): Promise<Duplex> {
  const { namespace, pod, port, settleMs } = options;
  const toPod = new PassThrough();
  const fromPod = new PassThrough();
  let failure: RuntimeFailure | undefined;
  let onFailure: (() => void) | undefined;
  const errors = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      // The channel's first message is the port number, which client-node strips: empty.
      if (chunk.length === 0) {
        callback();
        return;
      }
      failure ??= new RuntimeFailure('refused', `port ${port} of pod ${namespace}/${pod}: ${chunk.toString('utf8').trim()}`);
      onFailure?.();
      callback();
    },
  });

  let ws: WebSocket;
  try {
    const opened = await portForward.portForward(namespace, pod, [port], fromPod, errors, toPod);
    const socket = typeof opened === 'function' ? opened() : opened;
    if (socket === null) throw new Error('no WebSocket');
    ws = socket as unknown as WebSocket;
  } catch (error) {
    // A refused upgrade rejects with ws's ErrorEvent: the status is only in its message
    // ("Unexpected server response: 404").
    const message = (error as { message?: unknown } | null)?.message;
    const text = typeof message === 'string' ? message : String(error);
    const status = Number(/Unexpected server response: (\d{3})/.exec(text)?.[1]);
    if (status === 404) throw new RuntimeFailure('gone', `pod ${namespace}/${pod} no longer exists`, { cause: error });
    const detail = status === 403 ? `Porthole needs the RBAC permissions "create" and "get" on pods/portforward in namespace ${namespace}` : text;
    throw new RuntimeFailure('unavailable', `the Kubernetes API refused a port-forward to ${namespace}/${pod}: ${detail}`, { cause: error });
  }

  const stream = new PortForwardStream(toPod, fromPod, ws);
  ws.once('close', () => {
    if (failure !== undefined) stream.destroy(failure);
    else fromPod.end();
  });
  ws.on('error', () => undefined); // 'close' follows and decides

  await new Promise<void>((resolve, reject) => {
    const settle = setTimeout(done, settleMs);
    function done(): void {
      clearTimeout(settle);
      onFailure = () => stream.destroy(failure);
      ws.removeListener('close', done);
      if (failure !== undefined) {
        stream.destroy();
        reject(failure);
      } else if (ws.readyState !== ws.OPEN) {
        reject(new RuntimeFailure('refused', `the port-forward to ${namespace}/${pod} port ${port} closed at once`));
      } else {
        resolve();
      }
    }
    onFailure = done;
    ws.once('close', done);
  });
  return stream;
}

/**
 * The port-forward as one Duplex: what is written goes to client-node's input, what the
 * pod sends comes out. Destroying it closes the WebSocket, and (unlike Duplex.from) a
 * plain destroy() is not reported as an error. Ending the write side closes the
 * WebSocket too: the v4 protocol has no half-close.
 */
class PortForwardStream extends Duplex {
  private idleTimer: NodeJS.Timeout | undefined;
  private idleMs = 0;

  constructor(
    private readonly toPod: PassThrough,
    private readonly fromPod: PassThrough,
    private readonly ws: WebSocket,
  ) {
    super();
    fromPod.on('data', (chunk: Buffer) => {
      this.idleTimer?.refresh();
      if (!this.push(chunk)) fromPod.pause();
    });
    fromPod.once('end', () => this.push(null));
  }

  // What Node's HTTP client and agent call on a socket (keep-alive pooling, idle sockets),
  // so that the stream can stand in for one. The idle timeout counts traffic both ways.
  setTimeout(ms: number, callback?: () => void): this {
    if (callback !== undefined) this.once('timeout', callback);
    clearTimeout(this.idleTimer);
    this.idleTimer = undefined;
    this.idleMs = ms;
    if (ms > 0) this.idleTimer = setTimeout(() => this.emit('timeout'), ms).unref();
    return this;
  }

  setNoDelay(): this {
    return this;
  }

  setKeepAlive(): this {
    return this;
  }

  ref(): this {
    return this;
  }

  unref(): this {
    return this;
  }

  /** The idle timeout last set (0: none). */
  get timeout(): number {
    return this.idleMs;
  }

  override _read(): void {
    this.fromPod.resume();
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    this.idleTimer?.refresh();
    this.toPod.write(chunk, callback);
  }

  override _final(callback: (error?: Error | null) => void): void {
    this.toPod.end();
    callback();
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    clearTimeout(this.idleTimer);
    this.ws.close();
    this.toPod.destroy();
    this.fromPod.destroy();
    callback(error);
  }
}
