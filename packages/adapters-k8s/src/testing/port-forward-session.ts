import { connect, type Socket } from 'node:net';
import type { WebSocket } from 'ws';
import { sandboxIdOf, type FakePod } from './fake-pod-store';

/** Where a pod's port is really served, or 'refuse' for "nothing listens there". */
export type PortTarget = { readonly host: string; readonly port: number } | 'refuse';

// The v4.channel.k8s.io port-forward protocol for one port: channel 0 data, channel 1 errors.
const DATA = 0;
const ERROR = 1;
// Past this many unsent bytes the pod side stops being read until the WebSocket catches up.
const HIGH_WATER = 1 << 20;

function frame(channel: number, payload: Buffer): Buffer {
  return Buffer.concat([Buffer.from([channel]), payload]);
}

export interface PortForwardOptions {
  readonly port: number;
  readonly target: PortTarget;
  readonly pod: FakePod;
  /** Every pod-side socket, so that the server can destroy what is still open on close. */
  readonly podSockets: Set<Socket>;
}

/**
 * The kubelet's side of one port-forward WebSocket: announce the port on both channels,
 * dial the target only now that the WebSocket is open, then copy channel 0 both ways.
 * A failure goes out as text on channel 1 and closes the WebSocket (v4 has no half-close:
 * when the pod side ends, the whole WebSocket closes).
 */
export function servePortForward(ws: WebSocket, options: PortForwardOptions): void {
  const { port, target, pod, podSockets } = options;
  const portBytes = Buffer.from([port & 0xff, port >> 8]);
  ws.send(frame(DATA, portBytes));
  ws.send(frame(ERROR, portBytes));
  ws.on('error', () => undefined); // 'close' follows

  // The CRI runtime's wording (containerd): the "pod" is the sandbox id, and the uid is empty.
  const prefix = `error forwarding port ${port} to pod ${sandboxIdOf(pod)}, uid : `;
  const fail = (detail: string): void => {
    if (ws.readyState !== ws.OPEN) return;
    ws.send(frame(ERROR, Buffer.from(prefix + detail, 'utf8')));
    ws.close(1000);
  };
  const inside = `inside namespace "${sandboxIdOf(pod)}"`;

  if (target === 'refuse') {
    fail(
      `failed to execute portforward in network namespace "/var/run/netns/cni-${pod.metadata.uid}": ` +
        `failed to connect to localhost:${port} ${inside}, IPv4: dial tcp4 127.0.0.1:${port}: connect: connection refused ` +
        `IPv6 dial tcp6 [::1]:${port}: connect: connection refused `,
    );
    return;
  }

  const socket = connect({ host: target.host, port: target.port });
  podSockets.add(socket);
  let connected = false;
  socket.once('connect', () => {
    connected = true;
    socket.setNoDelay(true);
  });

  let waitingForPod = false;
  ws.on('message', (data: Buffer, isBinary: boolean) => {
    // Channel 1 from the client and text frames carry nothing for the pod.
    if (!isBinary || data.length < 2 || data[0] !== DATA) return;
    // Written before 'connect', it is queued by the socket until then.
    if (!socket.write(data.subarray(1)) && !waitingForPod) {
      waitingForPod = true;
      ws.pause();
      socket.once('drain', () => {
        waitingForPod = false;
        ws.resume();
      });
    }
  });
  socket.on('data', (chunk: Buffer) => {
    ws.send(frame(DATA, chunk), () => {
      if (socket.isPaused() && ws.bufferedAmount < HIGH_WATER / 4) socket.resume();
    });
    if (ws.bufferedAmount > HIGH_WATER) socket.pause();
  });
  socket.on('end', () => ws.close(1000));
  socket.on('error', (error: Error) => {
    fail(connected ? error.message : `failed to connect to ${target.host}:${target.port} ${inside}: ${error.message}`);
  });
  socket.on('close', () => {
    podSockets.delete(socket);
    if (ws.readyState === ws.OPEN) ws.close(1000);
  });
  // The client hung up: the pod sees its FIN; nothing it sends back can be delivered.
  ws.on('close', () => {
    if (connected) socket.end();
    else socket.destroy();
    socket.resume();
  });
}
