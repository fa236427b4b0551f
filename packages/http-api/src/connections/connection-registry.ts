/** Something live that goes through a forward: a tunnel, a proxied WebSocket or request. */
export interface LiveConnection {
  /**
   * Ends the connection now. `reason` says why ('forward_removed' when the forward was
   * deleted or its container stopped, 'shutdown' when Porthole stops). Must not throw.
   */
  close(reason: CloseReason): void;
}

export type CloseReason = 'forward_removed' | 'shutdown';

/**
 * Every live connection, by forward, so that removing a forward (or stopping Porthole)
 * can close all of them at once.
 */
export class ConnectionRegistry {
  private readonly byForward = new Map<string, Set<LiveConnection>>();

  /** Registers the connection; call the returned function when it ends by itself. */
  track(forwardId: string, connection: LiveConnection): () => void {
    let set = this.byForward.get(forwardId);
    if (set === undefined) {
      set = new Set();
      this.byForward.set(forwardId, set);
    }
    set.add(connection);
    return () => {
      const current = this.byForward.get(forwardId);
      if (current === undefined) return;
      current.delete(connection);
      if (current.size === 0) this.byForward.delete(forwardId);
    };
  }

  /** Closes every connection of the forward; returns how many there were. */
  closeForward(forwardId: string, reason: CloseReason): number {
    const set = this.byForward.get(forwardId);
    if (set === undefined) return 0;
    this.byForward.delete(forwardId);
    for (const connection of set) connection.close(reason);
    return set.size;
  }

  closeAll(reason: CloseReason): number {
    let closed = 0;
    for (const forwardId of [...this.byForward.keys()]) closed += this.closeForward(forwardId, reason);
    return closed;
  }

  count(forwardId?: string): number {
    if (forwardId !== undefined) return this.byForward.get(forwardId)?.size ?? 0;
    let total = 0;
    for (const set of this.byForward.values()) total += set.size;
    return total;
  }
}
