import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';

/**
 * How long a connection that we close under an unread request body keeps reading (and
 * throwing away) what the client still sends, after our answer went out. nginx calls this
 * lingering close and waits up to 5 s between reads by default.
 */
export const LINGER_MS = 5_000;

/** Marks a socket whose close already lingers. */
const LINGERING = Symbol('porthole.lingering');

/**
 * True when the request declares a body larger than `max`. Such a request is refused from
 * its headers alone, before a byte of the body is read. A body without a declared length
 * (chunked) is counted as it streams instead (proxy/request-body-meter.ts).
 */
export function declaredBodyTooLarge(req: IncomingMessage, max: number): boolean {
  const declared = req.headers['content-length'];
  if (declared === undefined) return false;
  const length = Number(declared);
  return Number.isFinite(length) && length > max;
}

/** True when the request carries a body: chunked, or a Content-Length other than 0. */
export function hasRequestBody(req: IncomingMessage): boolean {
  return req.headers['transfer-encoding'] !== undefined || (req.headers['content-length'] ?? '0') !== '0';
}

/**
 * For answers given before the request body was read whole (errors, redirects, 413, an app
 * that answered early). Without `Connection: close` Node would read and discard the rest
 * of the body after answering, to keep the connection alive, however large the client says
 * it is. With it, Node closes the connection as soon as the answer is written; bytes the
 * client is still sending then meet a closed socket, the kernel answers them with a reset,
 * and a reset can destroy our answer before the client has read it (seen with a 1 MB
 * answer to a client still uploading: every client got ECONNRESET instead). So the
 * connection lingers: see lingerOnClose.
 */
export function closeIfBodyUnread(req: IncomingMessage, res: ServerResponse): void {
  if (!hasRequestBody(req) || req.complete || res.headersSent) return;
  res.setHeader('connection', 'close');
  lingerOnClose(req);
}

/**
 * Makes the close that Node's server does after a `Connection: close` answer a graceful
 * one: our side is ended (FIN) once the answer is flushed, what the client still sends is
 * read and dropped, and the socket goes when the client closes too, or after LINGER_MS.
 * Node's server ends such a connection with `socket.destroySoon()` (_http_server.js,
 * resOnFinish); that call is the one hook it offers, so it is replaced on this socket only.
 */
function lingerOnClose(req: IncomingMessage): void {
  const socket = req.socket as Socket & { [LINGERING]?: true };
  if (socket[LINGERING] === true) return;
  socket[LINGERING] = true;
  const destroySoon = socket.destroySoon.bind(socket);
  socket.destroySoon = function lingeringClose(this: Socket): void {
    // Everything the client sent has been read: nothing can meet a closed socket.
    if (req.complete || this.readableEnded) {
      destroySoon();
      return;
    }
    // Whoever was reading the body (the request to the app) is gone: drop the rest.
    req.unpipe();
    req.resume();
    this.resume();
    if (this.writable) this.end();
    // Once the client ends its side too, Node destroys the socket by itself.
    const timer = setTimeout(() => this.destroy(), LINGER_MS).unref();
    this.once('close', () => clearTimeout(timer));
  };
}
