import type { IncomingMessage } from 'node:http';
import { Stream, type Writable } from 'node:stream';

export interface BodyRelayEvents {
  /** Bytes came from the client (the exchange's idle timer). */
  progress(): void;
  /** The body grew past the limit; nothing past it was passed on. */
  overLimit(): void;
  /** All of the body has been handed to the app's request, and that request ended. */
  forwarded(): void;
}

function hasBody(req: IncomingMessage): boolean {
  const declared = req.headers['content-length'];
  return req.headers['transfer-encoding'] !== undefined || (declared !== undefined && declared !== '0');
}

/** Held back at most, before the client is paused: a few socket reads. */
const MAX_PENDING_BYTES = 256 * 1024;

/**
 * The request body on its way to the app. It is piped to the request to the app in
 * place of the client's request (ForwardProxy.sendUpstream), and its `pipe` starts the
 * relay. It does three things a plain pipe does not:
 *
 * - It counts the body, so one of undeclared length (chunked) is cut at the limit like
 *   one refused by its Content-Length.
 * - It can stop: an app that answered early and closes gets no more of the body.
 * - It hands bytes to the app one event-loop turn after it read them, so that whatever
 *   the app sent meanwhile is read first. An app that answers early and then closes with
 *   part of the body unread has its kernel reset the connection; a write after that reset
 *   fails with EPIPE, and Node then destroys the socket with the app's answer still
 *   unread in it. Writing at once lost that answer 39 times in 40 (a Node app in another
 *   process answering 413 with `Connection: close`, a client uploading 32 MB); one turn
 *   later, 17 in 40; two turns later, 2 in 100. Uploads cost about 25 % more CPU time
 *   per byte for it (a turn per batch of reads, not per read). The client is paused while
 *   more than MAX_PENDING_BYTES wait, and while the app's side is full.
 */
export class RequestBodyRelay extends Stream {
  private received = 0;
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  private scheduled = false;
  private ended = false;
  private stopped = false;
  private target?: Writable;

  constructor(
    private readonly req: IncomingMessage,
    private readonly maxBytes: number,
    private readonly events: BodyRelayEvents,
  ) {
    super();
  }

  /** Bytes of the body read so far. */
  get bytes(): number {
    return this.received;
  }

  override pipe<T extends NodeJS.WritableStream>(destination: T): T {
    this.target = destination as unknown as Writable;
    if (!hasBody(this.req)) {
      // Nothing to race with the app's answer: send the request at once. Deferring its
      // end by two turns cost GETs a third of their throughput under load.
      this.stopped = true;
      this.req.resume();
      this.target.end();
      this.events.forwarded();
      return destination;
    }
    this.req.on('data', this.onData);
    this.req.once('end', this.onEnd);
    this.target.on('drain', this.onDrain);
    return destination;
  }

  /**
   * Passes nothing more on. What the client still sends is read and dropped: the answer
   * it gets says the connection closes (see closeIfBodyUnread).
   */
  stop(): void {
    if (this.stopped) return;
    this.stopped = true;
    this.pending = [];
    this.pendingBytes = 0;
    this.req.off('data', this.onData);
    this.req.off('end', this.onEnd);
    this.target?.off('drain', this.onDrain);
    this.req.resume();
  }

  private readonly onData = (chunk: Buffer): void => {
    this.received += chunk.length;
    this.events.progress();
    if (this.received > this.maxBytes) {
      this.stop();
      this.events.overLimit();
      return;
    }
    this.pending.push(chunk);
    this.pendingBytes += chunk.length;
    if (this.pendingBytes > MAX_PENDING_BYTES) this.req.pause();
    this.schedule();
  };

  private readonly onEnd = (): void => {
    this.ended = true;
    this.schedule();
  };

  private readonly onDrain = (): void => {
    if (!this.stopped && this.pendingBytes <= MAX_PENDING_BYTES) this.req.resume();
  };

  private schedule(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    // Two turns: the first ends the turn in which the bytes were read, the second lets
    // the next poll for I/O read what the app has sent meanwhile.
    setImmediate(() => setImmediate(this.flush));
  }

  private readonly flush = (): void => {
    this.scheduled = false;
    const target = this.target;
    if (this.stopped || target === undefined || target.destroyed) return;
    let room = true;
    for (const chunk of this.pending) room = target.write(chunk);
    this.pending = [];
    this.pendingBytes = 0;
    if (!room) this.req.pause();
    else if (!this.ended) this.req.resume();
    if (this.ended) {
      this.stopped = true;
      target.end();
      this.events.forwarded();
    }
  };
}
