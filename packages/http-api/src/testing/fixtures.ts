import { createHash } from 'node:crypto';
import { EventEmitter, once } from 'node:events';
import { createServer as createHttpServer, type IncomingHttpHeaders, type Server as HttpServer } from 'node:http';
import { createServer as createNetServer, type AddressInfo, type Server as NetServer, type Socket } from 'node:net';
import { WebSocketServer } from 'ws';

/**
 * Stand-ins for apps in containers: real servers on loopback that a FakeContainerRuntime
 * port points at, so delivery tests move real bytes through real sockets.
 */
export interface Fixture {
  readonly address: { readonly host: string; readonly port: number };
  close(): Promise<void>;
}

const HOST = '127.0.0.1';

async function listen(server: NetServer | HttpServer, port = 0): Promise<{ host: string; port: number }> {
  server.listen(port, HOST);
  await once(server, 'listening');
  return { host: HOST, port: (server.address() as AddressInfo).port };
}

function closer(server: NetServer | HttpServer, sockets: Set<Socket>): () => Promise<void> {
  return async () => {
    for (const socket of sockets) socket.destroy();
    if (!server.listening) return;
    await new Promise<void>((resolve) => server.close(() => resolve()));
  };
}

function trackSockets(server: NetServer | HttpServer): Set<Socket> {
  const sockets = new Set<Socket>();
  server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });
  return sockets;
}

/** A loopback port that nothing listens on (it was free a moment ago). */
export async function unusedPort(): Promise<number> {
  const server = createNetServer();
  const { port } = await listen(server);
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** What the HTTP echo app answers by default: what it received, exactly. */
export interface EchoReply {
  readonly method: string;
  readonly url: string;
  readonly headers: IncomingHttpHeaders;
  readonly bodyLength: number;
  readonly bodySha256: string;
}

export interface HttpEcho extends Fixture {
  /** 'request' (url) for every request; 'aborted' (url) when a request's connection closed before its answer. */
  readonly events: EventEmitter;
  /** Open TCP connections to the app right now. */
  readonly openConnections: () => number;
  /** Requests received so far. */
  readonly requests: () => number;
}

/** Chunks of `/stream` come this far apart. */
export const STREAM_INTERVAL_MS = 100;

/**
 * An HTTP app. Paths: `/stream?n=N` writes N chunks (default 5) STREAM_INTERVAL_MS apart;
 * `/slow` never answers; `/drop` sends half a response and cuts the connection; anything
 * else answers JSON {@link EchoReply}, hashing the body as it streams in.
 */
export async function startHttpEcho(port = 0): Promise<HttpEcho> {
  const events = new EventEmitter();
  let requests = 0;
  const server = createHttpServer((req, res) => {
    requests += 1;
    const url = req.url ?? '';
    events.emit('request', url);
    res.once('close', () => {
      if (!res.writableFinished) events.emit('aborted', url);
    });
    if (url.startsWith('/stream')) {
      const count = Number(new URLSearchParams(url.split('?')[1] ?? '').get('n') ?? '5');
      res.writeHead(200, { 'content-type': 'text/plain' });
      let sent = 0;
      const timer = setInterval(() => {
        res.write(`chunk ${sent}\n`);
        sent += 1;
        if (sent >= count) {
          clearInterval(timer);
          res.end();
        }
      }, STREAM_INTERVAL_MS);
      res.once('close', () => clearInterval(timer));
      return;
    }
    if (url.startsWith('/slow')) return;
    if (url.startsWith('/drop')) {
      res.writeHead(200, { 'content-type': 'text/plain', 'content-length': '1000' });
      res.write('only part of it');
      setTimeout(() => req.socket.destroy(), 50);
      return;
    }
    const hash = createHash('sha256');
    let bodyLength = 0;
    req.on('data', (chunk: Buffer) => {
      bodyLength += chunk.length;
      hash.update(chunk);
    });
    req.on('end', () => {
      const reply: EchoReply = { method: req.method ?? '', url, headers: req.headers, bodyLength, bodySha256: hash.digest('hex') };
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify(reply));
    });
  });
  const sockets = trackSockets(server);
  const address = await listen(server, port);
  return { address, events, openConnections: () => sockets.size, requests: () => requests, close: closer(server, sockets) };
}

/** The first message the WebSocket echo app sends on every connection. */
export interface WsHello {
  readonly url: string;
  readonly headers: IncomingHttpHeaders;
  readonly protocol: string;
  readonly extensions: string;
}

export interface WsEcho extends Fixture {
  /** 'closed' (code) when a client connection of the app closed. */
  readonly events: EventEmitter;
  readonly openConnections: () => number;
}

/**
 * A WebSocket app: sends a {@link WsHello}, then echoes every message with its type.
 * `/close-4404` closes at once with 4404 "no such room"; `/refuse` answers the upgrade
 * with a plain 403. It picks the subprotocol `chat.v2` when offered and accepts
 * permessage-deflate, so tests can see that the app negotiates, not Porthole.
 */
export async function startWsEcho(): Promise<WsEcho> {
  const events = new EventEmitter();
  const server = createHttpServer((_req, res) => {
    res.writeHead(426, { 'content-type': 'text/plain' });
    res.end('upgrade required');
  });
  const wss = new WebSocketServer({
    noServer: true,
    perMessageDeflate: true,
    handleProtocols: (protocols) => (protocols.has('chat.v2') ? 'chat.v2' : false),
  });
  server.on('upgrade', (req, socket, head) => {
    if ((req.url ?? '').startsWith('/refuse')) {
      socket.end('HTTP/1.1 403 Forbidden\r\nContent-Type: text/plain\r\nContent-Length: 9\r\nConnection: close\r\n\r\nforbidden');
      return;
    }
    wss.handleUpgrade(req, socket, head, (ws) => {
      ws.on('close', (code: number) => events.emit('closed', code));
      ws.on('error', () => undefined);
      const hello: WsHello = {
        url: req.url ?? '',
        headers: req.headers,
        protocol: ws.protocol,
        extensions: ws.extensions,
      };
      ws.send(JSON.stringify(hello));
      if ((req.url ?? '').startsWith('/close-4404')) {
        ws.close(4404, 'no such room');
        return;
      }
      ws.on('message', (data, isBinary) => ws.send(data, { binary: isBinary }));
    });
  });
  const sockets = trackSockets(server);
  const address = await listen(server);
  return {
    address,
    events,
    openConnections: () => sockets.size,
    close: async () => {
      wss.close();
      await closer(server, sockets)();
    },
  };
}

export interface TcpFixture extends Fixture {
  /** 'connection' (socket) for every connection; 'closed' when one closed, 'ended' when the client ended it. */
  readonly events: EventEmitter;
  readonly openConnections: () => number;
}

/** A TCP app; the default handler echoes every byte back. */
export async function startTcpServer(onConnection: (socket: Socket) => void = (s) => s.pipe(s)): Promise<TcpFixture> {
  const events = new EventEmitter();
  const server = createNetServer({ allowHalfOpen: true }, (socket) => {
    socket.on('error', () => undefined);
    socket.once('end', () => events.emit('ended'));
    socket.once('close', () => events.emit('closed'));
    events.emit('connection', socket);
    onConnection(socket);
  });
  const sockets = trackSockets(server);
  const address = await listen(server);
  return { address, events, openConnections: () => sockets.size, close: closer(server, sockets) };
}

/** Resolves with the first argument of `event`, or rejects after `ms`. */
export async function nextEvent<T = unknown>(emitter: EventEmitter, event: string, ms: number): Promise<T> {
  const [value] = (await once(emitter, event, { signal: AbortSignal.timeout(ms) })) as [T];
  return value;
}

/** Polls `condition` until it holds, or rejects after `ms`. */
export async function waitUntil(condition: () => boolean, ms: number, what = 'condition'): Promise<void> {
  const deadline = Date.now() + ms;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
