import WebSocket, { type RawData } from 'ws';
import { ApiError, unreachable } from '../api/api-error';
import { CliError } from '../cli-error';

/** How long the handshake may take; the server answers once the container port accepted. */
const HANDSHAKE_TIMEOUT_MS = 15_000;
/** A refusal's JSON body is small; anything bigger is not Porthole's, and is cut here. */
const MAX_REFUSAL_BODY_BYTES = 64 * 1024;

/** An open tunnel, and what the server sent before anyone was listening. */
export interface OpenTunnel {
  readonly ws: WebSocket;
  /** Stops collecting early messages and hands them over (call once, then listen yourself). */
  takeEarlyMessages(): Buffer[];
}

export function toBuffer(data: RawData): Buffer {
  if (Buffer.isBuffer(data)) return data;
  if (Array.isArray(data)) return Buffer.concat(data);
  return Buffer.from(data);
}

/**
 * Opens the WebSocket tunnel at `url` with the token in the Authorization header.
 * Porthole refuses before the upgrade with a real status and its JSON error body (401,
 * 404, 409, 502, 503): that becomes an ApiError with the server's message.
 */
export function openTunnel(url: string, token: string, signal?: AbortSignal): Promise<OpenTunnel> {
  return new Promise((resolve, reject) => {
    let settled = false;
    const settle = (action: () => void) => {
      if (settled) return;
      settled = true;
      signal?.removeEventListener('abort', onAbort);
      action();
    };
    const ws = new WebSocket(url, {
      headers: { authorization: `Bearer ${token}` },
      perMessageDeflate: false,
      handshakeTimeout: HANDSHAKE_TIMEOUT_MS,
    });
    ws.binaryType = 'nodebuffer';
    // Listen from the start: the first frames can arrive with the handshake's answer, and
    // be emitted before a promise continuation could attach a listener.
    const early: Buffer[] = [];
    const collect = (data: RawData) => early.push(toBuffer(data));
    ws.on('message', collect);
    const onAbort = () => {
      ws.terminate();
      settle(() => reject(new CliError('interrupted')));
    };
    signal?.addEventListener('abort', onAbort);

    ws.once('open', () =>
      settle(() =>
        resolve({
          ws,
          takeEarlyMessages: () => {
            ws.off('message', collect);
            return early.splice(0);
          },
        }),
      ),
    );
    ws.once('unexpected-response', (_request, response) => {
      const chunks: Buffer[] = [];
      let size = 0;
      response.on('data', (chunk: Buffer) => {
        size += chunk.length;
        if (size <= MAX_REFUSAL_BODY_BYTES) chunks.push(chunk);
        else response.destroy();
      });
      const refuse = () => {
        const body = Buffer.concat(chunks).toString('utf8');
        settle(() => reject(ApiError.fromResponse(response.statusCode ?? 0, response.statusMessage ?? '', body, 'opening the tunnel')));
        ws.terminate();
      };
      response.once('end', refuse);
      response.once('close', refuse);
      response.once('error', refuse);
    });
    // Stays attached: terminate() above emits an error after the promise has settled.
    ws.on('error', (error) => settle(() => reject(unreachable(new URL(url).origin, error))));
    ws.once('close', () => settle(() => reject(new CliError('the tunnel closed during its handshake'))));
  });
}
