import type { ForwardId } from '../domain/forward-id';

export interface IdGenerator {
  /** A fresh, unguessable forward id. Never throws. */
  forwardId(): ForwardId;
}
