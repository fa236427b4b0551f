/** Raw HTTP and WebSocket clients for end-to-end tests: nothing normalises what is sent. */
import { createHash } from 'node:crypto';
import { request, type IncomingHttpHeaders } from 'node:http';
import WebSocket from 'ws';

export interface RawResponse {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  readonly body: Buffer;
}

/** Sends `path` exactly as given (no URL parsing), with an optional body. */
export function rawRequest(
  base: string,
  options: { method?: string; path: string; headers?: Record<string, string>; body?: Buffer | string },
): Promise<RawResponse> {
  const url = new URL(base);
  return new Promise((resolve, reject) => {
    const req = request(
      { host: url.hostname, port: url.port, method: options.method ?? 'GET', path: options.path, headers: options.headers },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(options.body);
  });
}

export function sha256(data: Buffer | string): string {
  return createHash('sha256').update(data).digest('hex');
}

/** Opens a WebSocket and resolves once open; rejects with the HTTP status if refused. */
export function openWebSocket(
  url: string,
  options: { protocols?: string[]; headers?: Record<string, string> } = {},
): Promise<{ ws: WebSocket; messages: Buffer[]; closed: Promise<{ code: number; reason: string }> }> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, options.protocols ?? [], { headers: options.headers });
    const messages: Buffer[] = [];
    // Listen from the start: the first frames can arrive with the handshake reply.
    ws.on('message', (data: Buffer) => messages.push(Buffer.from(data)));
    const closed = new Promise<{ code: number; reason: string }>((done) =>
      ws.on('close', (code, reason) => done({ code, reason: reason.toString() })),
    );
    ws.once('open', () => resolve({ ws, messages, closed }));
    ws.once('unexpected-response', (_req, res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => reject(Object.assign(new Error(`refused with ${res.statusCode}`), { status: res.statusCode, body: Buffer.concat(chunks).toString() })));
    });
    ws.once('error', reject);
  });
}

/** Resolves when `messages` holds at least `bytes` bytes in total. */
export async function collect(messages: Buffer[], bytes: number, timeoutMs: number): Promise<Buffer> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const total = Buffer.concat(messages);
    if (total.length >= bytes) return total;
    if (Date.now() > deadline) throw new Error(`got ${total.length} of ${bytes} bytes within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 10));
  }
}
