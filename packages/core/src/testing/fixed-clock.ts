import type { Clock } from '../ports/clock.port';

/** A clock that moves only when told to. */
export class FixedClock implements Clock {
  constructor(private current = new Date('2026-12-03T12:00:00.000Z')) {}

  now(): Date {
    return new Date(this.current);
  }

  advance(ms: number): void {
    this.current = new Date(this.current.getTime() + ms);
  }
}
