/**
 * Forward ids are capabilities in URLs (`/p/:forwardId/`), so they must be unguessable:
 * `pf_` plus 24 characters of [0-9a-z] from a CSPRNG (~124 bits). Lowercase only, because
 * in subdomain mode an id is also a DNS label (`pf-<rest>.preview.example.com`), and
 * browsers lowercase host names: a mixed-case id would not survive the trip.
 */
export type ForwardId = string & { readonly __brand: 'ForwardId' };

export const FORWARD_ID_PREFIX = 'pf_';
export const FORWARD_ID_RANDOM_LENGTH = 24;
const FORWARD_ID_PATTERN = /^pf_[0-9A-Za-z]{16,64}$/;

export function isForwardId(value: string): value is ForwardId {
  return FORWARD_ID_PATTERN.test(value);
}
