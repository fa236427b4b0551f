import { DomainErrors } from '../domain/errors';
import { MAX_FORWARD_NAME_LENGTH } from '../domain/port-forward';
import type { Principal } from '../domain/principal';

/** Why a new forward may not be added to a container, or null when it may. */
export type AddViolation = 'duplicate_port' | 'limit_reached' | null;

/**
 * The per-container rules, as one pure function so that every store (memory, SQL) applies
 * exactly the same ones. A duplicate is reported before the cap: it says more.
 */
export function checkAddForward(
  existing: readonly { readonly containerPort: number }[],
  containerPort: number,
  maxPerContainer: number,
): AddViolation {
  if (existing.some((forward) => forward.containerPort === containerPort)) return 'duplicate_port';
  if (existing.length >= maxPerContainer) return 'limit_reached';
  return null;
}

/** Admins see everything; a user sees only what carries their id as owner. */
export function canAccess(principal: Principal, owner: string | null): boolean {
  return principal.role === 'admin' || (owner !== null && owner === principal.id);
}

// C0 and C1 controls and DEL break terminals and logs; bidi overrides and isolates can make
// a name display as something else (CVE-2021-42574, "Trojan Source").
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const CONTROL_CHARACTERS = /[\u0000-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/u;

/**
 * Names are labels for people: trimmed, empty means none, capped so lists stay readable.
 */
export function normalizeForwardName(name: string | null | undefined): string | null {
  if (name === undefined || name === null) return null;
  const trimmed = name.trim();
  if (trimmed.length === 0) return null;
  if (CONTROL_CHARACTERS.test(trimmed)) {
    throw DomainErrors.invalidName('name must not contain control or text-direction characters.');
  }
  // Characters as people count them (code points), not UTF-16 units: an emoji is one.
  const length = [...trimmed].length;
  if (length > MAX_FORWARD_NAME_LENGTH) {
    throw DomainErrors.invalidName(`name must be at most ${MAX_FORWARD_NAME_LENGTH} characters; got ${length}.`);
  }
  return trimmed;
}
