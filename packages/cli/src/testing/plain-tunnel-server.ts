import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { WebSocketServer, type WebSocket } from 'ws';

/**
 * A bare WebSocket server standing in for Porthole's tunnel, for what the real one does
 * not show: the exact messages and close codes the client sends, a server that stops
 * reading or stops answering pings. Reached through a `ws://` URL, as a `websocket_url`.
 */
export interface PlainTunnelServer {
  readonly url: string;
  /** Resolves with each new server-side connection. */
  nextConnection(): Promise<PlainConnection>;
  close(): Promise<void>;
}

export interface PlainConnection {
  readonly ws: WebSocket;
  readonly authorization: string | undefined;
  /** Every message received, as its own buffer. */
  readonly messages: Buffer[];
  readonly closed: Promise<{ code: number; reason: string }>;
  received(): number;
}

export async function startPlainTunnelServer(): Promise<PlainTunnelServer> {
  const server: Server = createServer();
  const wss = new WebSocketServer({ server, perMessageDeflate: false });
  const waiting: ((connection: PlainConnection) => void)[] = [];
  const ready: PlainConnection[] = [];
  wss.on('connection', (ws, req) => {
    const messages: Buffer[] = [];
    ws.on('message', (data: Buffer) => messages.push(Buffer.from(data)));
    ws.on('error', () => undefined);
    const closed = new Promise<{ code: number; reason: string }>((resolve) =>
      ws.once('close', (code, reason) => resolve({ code, reason: reason.toString() })),
    );
    const connection: PlainConnection = {
      ws,
      authorization: req.headers.authorization,
      messages,
      closed,
      received: () => messages.reduce((sum, m) => sum + m.length, 0),
    };
    const waiter = waiting.shift();
    if (waiter !== undefined) waiter(connection);
    else ready.push(connection);
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  return {
    url: `ws://127.0.0.1:${port}/ws/port-forward/pf_plain`,
    nextConnection: () => {
      const connection = ready.shift();
      return connection !== undefined ? Promise.resolve(connection) : new Promise((resolve) => waiting.push(resolve));
    },
    close: async () => {
      for (const client of wss.clients) client.terminate();
      wss.close();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
