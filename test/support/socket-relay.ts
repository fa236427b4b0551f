/**
 * A relay between a client and a server socket that a test can cut, refuse or reopen:
 * a flaky link to the Docker engine (or to anything else) without touching the engine.
 *
 *   const relay = await startSocketRelay({ path: engineSocketPath() });
 *   const runtime = new DockerContainerRuntime(new Dockerode({ socketPath: relay.path }));
 *   relay.cut();            // every open connection drops, as on a daemon restart
 *   await relay.refuse();   // the engine "is down": new connections fail (ENOENT)
 *   await relay.accept();   // and back
 *   await relay.close();    // afterAll
 */
import { createServer, connect, type NetConnectOpts, type Server, type Socket } from 'node:net';
import { rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

export interface SocketRelay {
  /** The unix socket clients connect to. */
  readonly path: string;
  /** Connections accepted since the start. */
  readonly accepted: number;
  /** Connections open now. */
  readonly open: number;
  /** Destroys every open connection, both sides. */
  cut(): void;
  /** Stops listening (new connections fail) and cuts the open ones. */
  refuse(): Promise<void>;
  /** Listens again after refuse(). */
  accept(): Promise<void>;
  /** Refuses for good; call in afterAll. */
  close(): Promise<void>;
}

let relays = 0;

export async function startSocketRelay(target: NetConnectOpts): Promise<SocketRelay> {
  // Short: a unix socket path must stay under ~100 characters.
  relays += 1;
  const socketPath = path.join(tmpdir(), `porthole-relay-${process.pid}-${relays}.sock`);
  const pairs = new Set<[Socket, Socket]>();
  let accepted = 0;
  let server: Server | undefined;

  const onClient = (client: Socket) => {
    accepted += 1;
    const upstream = connect(target);
    const pair: [Socket, Socket] = [client, upstream];
    pairs.add(pair);
    const drop = () => {
      client.destroy();
      upstream.destroy();
      pairs.delete(pair);
    };
    client.on('error', drop).on('close', drop);
    upstream.on('error', drop).on('close', drop);
    client.pipe(upstream);
    upstream.pipe(client);
  };

  const cut = () => {
    for (const [client, upstream] of [...pairs]) {
      client.destroy();
      upstream.destroy();
    }
    pairs.clear();
  };

  const listen = async () => {
    if (server !== undefined) return;
    rmSync(socketPath, { force: true });
    const next = createServer(onClient);
    await new Promise<void>((resolve, reject) => {
      next.once('error', reject);
      next.listen(socketPath, resolve);
    });
    server = next;
  };

  const refuse = async () => {
    const current = server;
    server = undefined;
    cut();
    if (current !== undefined) await new Promise<void>((resolve) => current.close(() => resolve()));
  };

  await listen();
  return {
    path: socketPath,
    get accepted() {
      return accepted;
    },
    get open() {
      return pairs.size;
    },
    cut,
    refuse,
    accept: listen,
    close: refuse,
  };
}
