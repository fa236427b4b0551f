import { domainToASCII } from 'node:url';
import { DomainErrors } from '../domain/errors';

const LABEL = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/;
const MAX_HOST_NAME_LENGTH = 253;

/** A host name as compared: lowercase, without the trailing dot of a fully qualified name. */
function hostName(name: string): string {
  return name.toLowerCase().replace(/\.$/, '');
}

/** `name` equals `domain` or lies below it (`a.b.example.com` under `example.com`). */
export function isWithinDomain(name: string, domain: string): boolean {
  return name === domain || name.endsWith(`.${domain}`);
}

/**
 * A custom domain as given on create or PATCH: null (or absent) for none, else a host name
 * in the form browsers send it in `Host`: ASCII (IDNs as their `xn--` form), lowercase,
 * at least two labels, no port, no wildcard, not an IP address. Porthole's own host names
 * and what lies below them (`reserved`: the public URL's host, the preview domain) are
 * never a forward's: requests for them are Porthole's to route.
 */
export function normalizeCustomDomain(value: unknown, reserved: readonly string[]): string | null {
  if (value === undefined || value === null) return null;
  if (typeof value !== 'string') throw DomainErrors.invalidCustomDomain('custom_domain must be a host name (a string) or null.');
  const name = hostName(value.trim());
  const labels = name.split('.');
  const valid =
    // ASCII before lowercasing: toLowerCase() turns some non-ASCII letters into ASCII
    // ones (the Kelvin sign into k), which would let one name pass for another.
    /^[\x21-\x7e]+$/.test(value.trim()) &&
    name.length > 0 &&
    name.length <= MAX_HOST_NAME_LENGTH &&
    labels.length >= 2 &&
    labels.every((label) => LABEL.test(label)) &&
    // A last label of digits only is an IPv4 address (or no public suffix at all).
    !/^[0-9]+$/.test(labels[labels.length - 1] ?? '') &&
    // An `xn--` label must be punycode a browser would send (the URL standard's IDNA
    // mapping leaves a valid ASCII name as it is and refuses a broken one).
    domainToASCII(name) === name;
  if (!valid) {
    throw DomainErrors.invalidCustomDomain(
      `custom_domain must be a host name such as "app.example.com" (letters, digits and hyphens, dot-separated, no port); got ${JSON.stringify(value)}.`,
    );
  }
  const clash = reserved.map(hostName).find((domain) => isWithinDomain(name, domain));
  if (clash !== undefined) {
    throw DomainErrors.invalidCustomDomain(`custom_domain ${name} is Porthole's own host name or lies under it (${clash}); choose another.`);
  }
  return name;
}
