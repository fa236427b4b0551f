import { once } from 'node:events';
import { connect, type Socket } from 'node:net';

/** A TCP client of `porthole connect`'s local port that keeps what it receives. */
export interface LocalClient {
  readonly socket: Socket;
  received(): Buffer;
  /** Resolves once at least `bytes` arrived (rejects after `ms`). */
  waitFor(bytes: number, ms?: number): Promise<Buffer>;
  /** Resolves when the other side ended or the socket closed. */
  readonly ended: Promise<void>;
}

export async function localClient(port: number): Promise<LocalClient> {
  const socket = connect({ host: '127.0.0.1', port, allowHalfOpen: true });
  const chunks: Buffer[] = [];
  socket.on('data', (chunk: Buffer) => chunks.push(chunk));
  socket.on('error', () => undefined);
  const ended = new Promise<void>((resolve) => {
    socket.once('end', resolve);
    socket.once('close', resolve);
  });
  await once(socket, 'connect');
  const received = () => Buffer.concat(chunks);
  return {
    socket,
    received,
    ended,
    waitFor: async (bytes, ms = 5_000) => {
      const deadline = Date.now() + ms;
      while (received().length < bytes) {
        if (Date.now() > deadline) throw new Error(`got ${received().length} of ${bytes} bytes within ${ms} ms`);
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
      return received();
    },
  };
}
