import { DomainErrors } from './errors';

/** A TCP port, 1..65535. The brand keeps unchecked numbers from posing as ports. */
export type PortNumber = number & { readonly __brand: 'PortNumber' };

export const MIN_PORT = 1;
export const MAX_PORT = 65535;

export function isPortNumber(value: unknown): value is PortNumber {
  return (
    typeof value === 'number' && Number.isInteger(value) && value >= MIN_PORT && value <= MAX_PORT
  );
}

/**
 * The value as the client sent it, for the message. JSON.stringify would say `null` for
 * the Infinity that JSON.parse makes of 1e400, and for NaN.
 */
function describeValue(value: unknown): string {
  return typeof value === 'number' && !Number.isFinite(value) ? String(value) : JSON.stringify(value);
}

/**
 * Accepts only a JSON integer in range. No coercion: the string "8080" is refused, because
 * a client that sends strings has a bug we should tell it about, not paper over.
 */
export function parsePortNumber(value: unknown, field: string): PortNumber {
  if (value === undefined) {
    throw DomainErrors.invalidPort(field, `${field} is required and must be an integer from 1 to 65535.`);
  }
  if (!isPortNumber(value)) {
    throw DomainErrors.invalidPort(
      field,
      `${field} must be an integer from 1 to 65535; got ${describeValue(value)}.`,
    );
  }
  return value;
}
