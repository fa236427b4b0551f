import { DomainErrors } from '../domain/errors';
import type { ForwardId } from '../domain/forward-id';
import type { PortNumber } from '../domain/port-number';
import type { LocalPortAllocator } from '../ports/local-port-allocator.port';

export interface PortRange {
  readonly first: number;
  readonly last: number;
}

/**
 * Bookkeeping of which ports of a range are handed out. It does not bind anything; a
 * listener-opening allocator wraps it and also asks the OS.
 */
export class RangePortAllocator implements LocalPortAllocator {
  private readonly taken = new Set<number>();
  private next: number;

  constructor(private readonly range: PortRange) {
    this.next = range.first;
  }

  async reserve(_forwardId: ForwardId, requested: PortNumber | undefined): Promise<PortNumber> {
    return this.reserveSync(requested);
  }

  /** The same as `reserve`, for callers that must not yield between check and take. */
  reserveSync(requested: PortNumber | undefined): PortNumber {
    if (requested !== undefined) {
      if (requested < this.range.first || requested > this.range.last) {
        throw DomainErrors.localPortUnavailable(
          `local_port ${requested} is outside the allowed range ${this.range.first}-${this.range.last}.`,
        );
      }
      if (this.taken.has(requested)) {
        throw DomainErrors.localPortUnavailable(`local_port ${requested} is already in use.`);
      }
      this.taken.add(requested);
      return requested;
    }
    // Round-robin from the last hand-out, so a port just released is not reused at once
    // (a client of the old forward could still be connecting to it).
    const size = this.range.last - this.range.first + 1;
    for (let i = 0; i < size; i += 1) {
      const candidate = this.range.first + ((this.next - this.range.first + i) % size);
      if (!this.taken.has(candidate)) {
        this.taken.add(candidate);
        this.next = candidate + 1 > this.range.last ? this.range.first : candidate + 1;
        return candidate as PortNumber;
      }
    }
    throw DomainErrors.localPortUnavailable(
      `Every local port of the range ${this.range.first}-${this.range.last} is in use.`,
    );
  }

  async restore(_forwardId: ForwardId, port: PortNumber): Promise<void> {
    this.restoreSync(port);
  }

  /**
   * Books a port that a stored forward already holds. Outside the range too: the range may
   * have changed since, and the forward keeps the port it was given.
   */
  restoreSync(port: PortNumber): void {
    if (this.taken.has(port)) throw DomainErrors.localPortUnavailable(`local_port ${port} is already in use.`);
    this.taken.add(port);
  }

  async release(port: PortNumber): Promise<void> {
    this.taken.delete(port);
  }

  has(port: number): boolean {
    return this.taken.has(port);
  }
}
