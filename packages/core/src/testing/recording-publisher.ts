import type { ForwardEvent, ForwardEventPublisher } from '../ports/forward-events.port';

/** Keeps every published event, in order, for assertions. */
export class RecordingPublisher implements ForwardEventPublisher {
  readonly events: ForwardEvent[] = [];

  publish(event: ForwardEvent): void {
    this.events.push(event);
  }
}
