import type { ForwardEvent, ForwardEventPublisher } from '../ports/forward-events.port';

export type ForwardEventListener = (event: ForwardEvent) => void;

/**
 * Delivers forward events to listeners in this process, synchronously and in order.
 * A listener that throws is reported to `onListenerError` and does not stop the others.
 */
export class InProcessEventBus implements ForwardEventPublisher {
  private readonly listeners = new Set<ForwardEventListener>();

  constructor(private readonly onListenerError: (error: unknown) => void = () => undefined) {}

  subscribe(listener: ForwardEventListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  publish(event: ForwardEvent): void {
    for (const listener of [...this.listeners]) {
      try {
        listener(event);
      } catch (error) {
        this.onListenerError(error);
      }
    }
  }
}
