/**
 * Forward ids are capabilities in URLs (`/p/:forwardId/`), so they must be unguessable:
 * `pf_` plus 20 base62 characters from a CSPRNG (~119 bits).
 */
export type ForwardId = string & { readonly __brand: 'ForwardId' };

export const FORWARD_ID_PREFIX = 'pf_';
export const FORWARD_ID_RANDOM_LENGTH = 20;
const FORWARD_ID_PATTERN = /^pf_[0-9A-Za-z]{16,64}$/;

export function isForwardId(value: string): value is ForwardId {
  return FORWARD_ID_PATTERN.test(value);
}
