import { FORWARD_ID_PREFIX } from '@porthole/core';

/**
 * Subdomain mode: each forward has a host of its own, `<label>.<previewDomain>`, where the
 * label is the forward id with `_` as `-` (`pf_x` → `pf-x`). Underscores are not allowed
 * in host names that certificates cover, and ids are lowercase so that browsers, which
 * lowercase hosts, keep them intact.
 */
const LABEL_PREFIX = FORWARD_ID_PREFIX.replace('_', '-');

export function previewLabel(forwardId: string): string {
  return forwardId.startsWith(FORWARD_ID_PREFIX) ? LABEL_PREFIX + forwardId.slice(FORWARD_ID_PREFIX.length) : forwardId;
}

/**
 * The forward id a `Host` header names in subdomain mode, or undefined when the host is
 * not `<label>.<previewDomain>` (with any port). Host names compare case-insensitively.
 */
export function forwardIdFromHost(host: string | undefined, previewDomain: string | undefined): string | undefined {
  if (host === undefined || previewDomain === undefined) return undefined;
  const name = host.replace(/:\d*$/, '').toLowerCase().replace(/\.$/, '');
  const suffix = `.${previewDomain.toLowerCase()}`;
  if (!name.endsWith(suffix)) return undefined;
  const label = name.slice(0, -suffix.length);
  if (!label.startsWith(LABEL_PREFIX) || label.includes('.')) return undefined;
  return FORWARD_ID_PREFIX + label.slice(LABEL_PREFIX.length);
}
