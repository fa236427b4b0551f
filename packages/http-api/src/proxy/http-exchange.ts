import type { ClientRequest, IncomingMessage, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import { DomainErrors, type PortForward } from '@porthole/core';
import type { CloseReason } from '../connections/connection-registry';
import { HttpErrors } from '../errors/http-error';
import { sendError } from '../errors/send-error';
import type { HttpLimits } from '../limits';
import type { Logger } from '../logger';
import { closeIfBodyUnread, hasRequestBody } from '../request-body';
import { connectionOptions } from './forwarded-headers';
import { RequestBodyRelay } from './request-body-relay';
import { appAuthoritiesOf, type RewriteContext } from './response-rewrite';
import { checkResponseHead, declaredResponseTooLarge, relayResponse, type RelayFailure } from './upstream-response';

export interface HttpExchangeDeps {
  readonly logger: Logger;
  readonly limits: HttpLimits;
}

/** Where the forward lives for this request, which decides how its answers are rewritten. */
export interface ExchangePlace {
  /** `/p/{id}` in path mode; '' on a preview host. */
  readonly prefix: string;
  /** The Host our client sent (it reaches the app untouched). */
  readonly clientHost?: string;
}

/**
 * One proxied HTTP request while it is in flight: its body on the way to the app (counted
 * against the limit), the app's answer on the way back (checked and counted), an idle
 * timer over both, and every way it can end. `settled` is set once Porthole has decided
 * how it ends (answered, cut, closed): errors after that are noise.
 */
export class HttpExchange {
  /** The request to the app, as soon as it is created. */
  private proxyReq?: ClientRequest;
  /** The app's HTTP answer. */
  private response?: IncomingMessage;
  private settled = false;
  /** The body on its way to the app; undefined for a request without one. */
  private readonly relayedBody?: RequestBodyRelay;
  /** All of the body has been handed to the request to the app. */
  private bodyForwarded: boolean;
  private readonly idleTimer?: NodeJS.Timeout;

  constructor(
    private readonly req: IncomingMessage,
    private readonly res: ServerResponse,
    readonly forward: PortForward,
    readonly requestId: string,
    private readonly deps: HttpExchangeDeps,
    private readonly place: ExchangePlace,
  ) {
    const { proxyMaxBytes, proxyIdleTimeoutMs } = deps.limits;
    this.bodyForwarded = !hasRequestBody(req);
    if (!this.bodyForwarded) {
      this.relayedBody = new RequestBodyRelay(req, proxyMaxBytes, {
        progress: () => this.idleTimer?.refresh(),
        overLimit: () => this.bodyOverLimit(),
        forwarded: () => {
          this.bodyForwarded = true;
        },
      });
    }
    // Nothing else watches a proxied exchange that stalls: requestTimeout is 0 on purpose
    // (long uploads), and a client socket paused for backpressure never sees its peer go.
    if (proxyIdleTimeoutMs > 0) this.idleTimer = setTimeout(() => this.idle(), proxyIdleTimeoutMs).unref();
  }

  /** What is piped to the app in place of the request; undefined for a request without a body. */
  get body(): RequestBodyRelay | undefined {
    return this.relayedBody;
  }

  /** Runs as the request to the app is created (see UPSTREAM_HOOK): its answer is ours to relay. */
  attach(proxyReq: ClientRequest): void {
    this.proxyReq = proxyReq;
    proxyReq.once('response', (response: IncomingMessage) => {
      this.response = response;
      this.relay(response);
    });
    // A 101 with an Upgrade header comes as 'upgrade', not 'response'; without a listener
    // Node drops the socket and reports nothing, and our client would wait forever.
    proxyReq.once('upgrade', (_response: IncomingMessage, upstream: Duplex) => {
      upstream.destroy();
      this.badAnswer('101 Switching Protocols to a request that asked for no upgrade');
    });
    // Any other way the request could end with neither an answer nor an error must not
    // leave our client waiting either (errors come before 'close', and settle first).
    proxyReq.once('close', () => {
      if (this.response === undefined) this.badAnswer('the request to the app ended without an answer');
    });
    if (this.settled) proxyReq.destroy();
  }

  /**
   * Ends the exchange on a failure, unless Porthole already decided how it ends: a real
   * answer while nothing has been sent, a cut once the answer has started (sendError
   * destroys the response then: never a second status line).
   */
  fail(failure: unknown, cause: unknown): void {
    const context = {
      ...(typeof cause === 'string' ? { problem: cause } : { err: cause }),
      requestId: this.requestId,
      forwardId: this.forward.id,
    };
    // The app's whole answer is in: an error on its connection after that (it closed on
    // the part of the body it did not want) changes nothing for our client.
    if (this.settled || this.response?.complete === true) {
      this.deps.logger.debug(context, 'proxied request ended early');
      return;
    }
    this.settled = true;
    // Also takes the app's connection out of the pool: after a failure it is unusable.
    this.proxyReq?.destroy();
    this.deps.logger.debug(context, 'proxied request failed');
    closeIfBodyUnread(this.req, this.res);
    sendError(this.req, this.res, failure, this.deps.logger, { html: true, requestId: this.requestId });
  }

  /** The forward is going away (removed, or Porthole stops). */
  close(reason: CloseReason): void {
    this.settled = true;
    this.proxyReq?.destroy();
    if (reason === 'forward_removed' && !this.res.headersSent && !this.res.destroyed) {
      this.res.setHeader('connection', 'close');
      sendError(this.req, this.res, DomainErrors.forwardNotFound(this.forward.id), this.deps.logger, {
        html: true,
        requestId: this.requestId,
      });
      return;
    }
    this.res.destroy();
  }

  /** Our response is closed: answered whole, or the client went away. */
  finished(): void {
    if (this.idleTimer !== undefined) clearTimeout(this.idleTimer);
    // Node emits the client request's 'aborted' only while its body is still coming: a
    // client that leaves while the app is still thinking would leave it running. And an app's
    // connection with part of a body still unsent cannot carry another request.
    if (!this.res.writableFinished || !this.bodyForwarded) {
      this.settled = true;
      this.relayedBody?.stop();
      this.proxyReq?.destroy();
    }
  }

  private relay(response: IncomingMessage): void {
    if (this.settled) {
      response.destroy();
      return;
    }
    const checked = checkResponseHead(response, this.rewriteFor(response));
    if (!checked.ok) {
      this.badAnswer(checked.problem);
      return;
    }
    const { proxyMaxBytes } = this.deps.limits;
    if (declaredResponseTooLarge(response, this.req.method, proxyMaxBytes)) {
      this.tooLarge(`Content-Length: ${response.headers['content-length'] ?? ''}`);
      return;
    }
    if (!this.bodyForwarded) this.answeredEarly(response);
    relayResponse(response, this.res, checked.head, {
      maxBytes: proxyMaxBytes,
      progress: () => this.idleTimer?.refresh(),
      fail: (failure: RelayFailure) =>
        failure.kind === 'broken' ? this.badAnswer(failure.problem) : this.tooLarge(`${failure.bytes} bytes and counting`),
    });
  }

  /** Only answers that redirect or set cookies need the (small) cost of a rewrite context. */
  private rewriteFor(response: IncomingMessage): RewriteContext | undefined {
    const { headers, socket } = response;
    if (headers.location === undefined && headers['set-cookie'] === undefined) return undefined;
    const { prefix, clientHost } = this.place;
    return {
      prefix,
      // On a preview host the client's Host is the forward's own: a link to it is right as is.
      appAuthorities: appAuthoritiesOf(
        this.forward.containerPort,
        { address: socket?.remoteAddress, port: socket?.remotePort },
        prefix === '' ? undefined : clientHost,
      ),
    };
  }

  /**
   * The app answers before it has all of the body. Our client's connection closes after
   * the answer (nobody will read the rest of its body on it), gracefully: see
   * closeIfBodyUnread. The app keeps getting the body while it keeps its connection open,
   * so an app that streams its answer while reading still works; one that says it closes
   * gets no more (RFC 9112 §9.6: a client seeing such an answer stops sending), which
   * also spares it the reset that unread bytes cause when it closes.
   */
  private answeredEarly(response: IncomingMessage): void {
    closeIfBodyUnread(this.req, this.res);
    const closing =
      connectionOptions(response.headers.connection ?? '').includes('close') ||
      (response.httpVersion === '1.0' && !connectionOptions(response.headers.connection ?? '').includes('keep-alive'));
    if (closing) this.relayedBody?.stop();
  }

  /** A body of undeclared length grew past the limit on its way to the app. */
  private bodyOverLimit(): void {
    const { proxyMaxBytes } = this.deps.limits;
    // With nothing sent yet the client gets the 413 (and the connection then closes,
    // gracefully, over the rest of its body); once an answer is under way, a cut; once the
    // app's whole answer is in, that answer (the surplus is not passed on either way).
    this.fail(HttpErrors.payloadTooLarge(proxyMaxBytes), `request body over ${proxyMaxBytes} bytes`);
  }

  private badAnswer(problem: string): void {
    this.fail(HttpErrors.badUpstreamResponse(this.forward.containerPort), problem);
  }

  private tooLarge(problem: string): void {
    this.fail(HttpErrors.upstreamResponseTooLarge(this.forward.containerPort, this.deps.limits.proxyMaxBytes), problem);
  }

  /**
   * No byte has moved either way for the idle timeout. The app that has the whole request
   * and says nothing gets our client a 504; any other stall (an upload neither side moves,
   * an answer the client does not read) ends with both connections destroyed.
   */
  private idle(): void {
    if (this.settled) return;
    const ms = this.deps.limits.proxyIdleTimeoutMs;
    this.deps.logger.info({ requestId: this.requestId, forwardId: this.forward.id, ms }, 'proxied request made no progress; closed');
    if (this.bodyForwarded && !this.res.headersSent) {
      this.fail(HttpErrors.upstreamTimeout(this.forward.containerPort, ms), 'idle timeout');
      return;
    }
    this.settled = true;
    this.proxyReq?.destroy();
    this.res.destroy();
  }
}
