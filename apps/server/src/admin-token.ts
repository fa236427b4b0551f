import { randomInt } from 'node:crypto';

const ALPHABET = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';

/**
 * A 32-character base62 token (~190 bits). Base62 because the token also travels as a
 * WebSocket subprotocol, where '/', '=' and friends are not allowed.
 */
export function generateAdminToken(): string {
  let token = '';
  for (let i = 0; i < 32; i += 1) token += ALPHABET[randomInt(ALPHABET.length)];
  return token;
}
