import type { LifecycleEvent } from '@porthole/core';
import type Dockerode from 'dockerode';
import type { Readable } from 'node:stream';
import { StringDecoder } from 'node:string_decoder';
import { describeError } from './docker-errors';
import { NetworkSharerLookup } from './docker-network-sharers';
import type { ResolvedDockerRuntimeOptions } from './docker-runtime-options';

/**
 * Engine actions that mean "this container no longer runs", and the word the core logs
 * for each ("container died: removed its forwards").
 *
 * `kill` is deliberately absent. It reports a signal *sent*, not a stop: `docker kill -s
 * HUP` sends one to a process that may well survive it, and `docker stop` sends SIGTERM
 * to a process that may take seconds to shut down while still serving. Whenever the
 * process does end, the engine reports `die` (seen on Docker 20.10: stop = kill, die,
 * stop; kill = kill, die; rm -f = kill, die, destroy), so listening for `die` misses
 * nothing, and inspecting on every `kill` would only race the exit and add requests.
 */
const STOP_ACTIONS = new Map([
  ['die', 'died'],
  ['stop', 'stopped'],
  ['destroy', 'destroyed'],
]);

/** The reason of the stop announced for a container whose network namespace died with another. */
export const LOST_NETWORK = 'lost its network';

export const EVENT_FILTERS = { type: ['container'], event: [...STOP_ACTIONS.keys()] };

/** The fields of an engine event we read (API 1.22+ sends Type/Action/Actor; older ones id/status). */
interface EngineEvent {
  readonly Type?: unknown;
  readonly Action?: unknown;
  readonly status?: unknown;
  readonly id?: unknown;
  readonly Actor?: { readonly ID?: unknown } | null;
}

/** The lifecycle event an engine event means for forwards, or null when it means nothing. */
export function toLifecycleEvent(raw: unknown): LifecycleEvent | null {
  if (typeof raw !== 'object' || raw === null) return null;
  const event = raw as EngineEvent;
  if (event.Type !== undefined && event.Type !== 'container') return null;
  const action = typeof event.Action === 'string' ? event.Action : event.status;
  const reason = typeof action === 'string' ? STOP_ACTIONS.get(action) : undefined;
  if (reason === undefined) return null;
  const id = typeof event.Actor?.ID === 'string' && event.Actor.ID !== '' ? event.Actor.ID : event.id;
  if (typeof id !== 'string' || id === '') return null;
  return { type: 'stopped', containerId: id, reason };
}

/** The container name an engine event carries (`Actor.Attributes.name`), if any. */
export function actorName(raw: unknown): string | null {
  const name = (raw as { Actor?: { Attributes?: { name?: unknown } | null } | null } | null)?.Actor?.Attributes?.name;
  return typeof name === 'string' && name !== '' ? name : null;
}

/**
 * Splits the event stream into lines. The engine writes one JSON document per line, but
 * the chunks a socket delivers may end mid-line (even mid-character) or hold several.
 */
export class LineSplitter {
  // No event is anywhere near this long; past it the stream is not what we think it is.
  static readonly MAX_LINE = 1024 * 1024;
  private readonly decoder = new StringDecoder('utf8');
  private pending = '';

  /** The complete, non-blank lines this chunk finishes. Throws on an absurdly long line. */
  push(chunk: Buffer | string): string[] {
    this.pending += typeof chunk === 'string' ? chunk : this.decoder.write(chunk);
    const lines = this.pending.split('\n');
    this.pending = lines.pop() ?? '';
    if (this.pending.length > LineSplitter.MAX_LINE) {
      this.pending = '';
      throw new Error(`event stream line longer than ${LineSplitter.MAX_LINE} characters`);
    }
    return lines.map((line) => line.trim()).filter((line) => line !== '');
  }
}

/**
 * One subscription to the engine's event stream, kept open until stopped: when the
 * stream ends or fails (daemon restart, an idle cut by something in between) it is
 * reopened with exponential backoff, and every reopening is announced as `resumed`,
 * since events may have been lost in the gap and the core must reconcile.
 *
 * The backoff starts over only after a stream proved healthy: it delivered a stop, or it
 * stayed open for reconnectMaxMs. An engine (or whatever poses as one) that answers 200
 * and then garbage, or hangs up at once, is retried ever more slowly, and since `resumed`
 * comes with a successful reopening only, the core's full reconcile slows down with it.
 *
 * A container that dies takes the network of every container that joined its network
 * namespace (`--network container:X`): those are announced as stopped too, with reason
 * `lost its network` (see NetworkSharerLookup).
 *
 * It does not ask the engine to replay the gap (`since`): a replayed `die` of an earlier
 * life would be indistinguishable from a stop of the current one, and wipe forwards
 * created after a restart. Reconciling from fresh inspects is exact.
 */
export class DockerEventWatch {
  private stopped = false;
  private attempts = 0;
  private delayMs: number;
  private retryTimer: NodeJS.Timeout | undefined;
  private connectTimer: NodeJS.Timeout | undefined;
  private abort: AbortController | undefined;
  private stream: Readable | undefined;
  private readonly sharers: NetworkSharerLookup;

  constructor(
    private readonly docker: Dockerode,
    private readonly listener: (event: LifecycleEvent) => void,
    private readonly options: ResolvedDockerRuntimeOptions,
  ) {
    this.delayMs = options.reconnectMinMs;
    this.sharers = new NetworkSharerLookup(
      docker,
      options.requestTimeoutMs,
      (containerId) => this.deliver({ type: 'stopped', containerId, reason: LOST_NETWORK }),
      (msg, error) => this.log('warn', msg, error),
    );
  }

  start(): void {
    this.connect();
  }

  /** Closes the stream and cancels any pending reconnect: nothing keeps the process alive after. */
  stop(): void {
    if (this.stopped) return;
    this.stopped = true;
    clearTimeout(this.retryTimer);
    clearTimeout(this.connectTimer);
    this.sharers.close();
    this.abort?.abort();
    this.stream?.destroy();
    this.abort = undefined;
    this.stream = undefined;
  }

  private connect(): void {
    this.retryTimer = undefined;
    if (this.stopped) return;
    this.attempts += 1;
    const abort = new AbortController();
    this.abort = abort;
    // An engine that accepts the connection but never answers (a dead TCP peer, a stuck
    // daemon) would otherwise leave the watch waiting forever without reconnecting.
    const timeoutMs = this.options.requestTimeoutMs;
    this.connectTimer = setTimeout(() => abort.abort(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
    // dockerode 4 takes an abortSignal here; @types/dockerode does not know it yet.
    const request = { filters: EVENT_FILTERS, abortSignal: abort.signal } as Dockerode.GetEventsOptions;
    this.docker.getEvents(request).then(
      (stream) => {
        clearTimeout(this.connectTimer);
        if (this.stopped || this.abort !== abort) {
          (stream as Readable).destroy();
          return;
        }
        this.attach(stream as Readable);
      },
      (error: unknown) => {
        clearTimeout(this.connectTimer);
        if (this.stopped || this.abort !== abort) return;
        this.log('warn', 'could not open the Docker event stream', error);
        this.retry();
      },
    );
  }

  private attach(stream: Readable): void {
    this.stream = stream;
    const reconnection = this.attempts > 1;
    const openedAt = performance.now();
    const lines = new LineSplitter();
    let lost = false;
    const onLost = (error?: unknown) => {
      if (lost) return;
      lost = true;
      if (this.stopped || this.stream !== stream) return;
      this.stream = undefined;
      stream.destroy();
      if (performance.now() - openedAt >= this.options.reconnectMaxMs) this.delayMs = this.options.reconnectMinMs;
      this.log('warn', 'Docker event stream lost', error);
      this.retry();
    };
    stream.on('data', (chunk: Buffer | string) => {
      if (lost || this.stopped) return;
      let complete: string[];
      try {
        complete = lines.push(chunk);
      } catch (error) {
        onLost(error);
        return;
      }
      for (const line of complete) this.handleLine(line);
    });
    stream.on('error', onLost);
    stream.on('end', () => onLost());
    stream.on('close', () => onLost());
    this.log('info', reconnection ? 'Docker event stream reconnected' : 'Docker event stream connected');
    if (reconnection) this.deliver({ type: 'resumed' });
  }

  private handleLine(line: string): void {
    let raw: unknown;
    try {
      raw = JSON.parse(line);
    } catch (error) {
      this.log('warn', 'ignored a malformed Docker event', error);
      return;
    }
    const event = toLifecycleEvent(raw);
    if (event === null) return;
    // A real engine event: this stream works, whatever happened before.
    this.delayMs = this.options.reconnectMinMs;
    this.deliver(event);
    if (event.type === 'stopped' && event.reason === 'died') this.sharers.died(event.containerId, actorName(raw));
  }

  private deliver(event: LifecycleEvent): void {
    try {
      this.listener(event);
    } catch (error) {
      // A throwing listener must not take the stream (and every later event) down with it.
      this.log('warn', 'a lifecycle listener threw', error);
    }
  }

  private retry(): void {
    const delay = this.delayMs;
    this.delayMs = Math.min(this.delayMs * 2, this.options.reconnectMaxMs);
    this.options.log({ level: 'debug', msg: 'reopening the Docker event stream', retryInMs: delay });
    this.retryTimer = setTimeout(() => this.connect(), delay);
  }

  private log(level: 'info' | 'warn', msg: string, error?: unknown): void {
    this.options.log(error === undefined ? { level, msg } : { level, msg: `${msg}: ${describeError(error)}`, error });
  }
}
