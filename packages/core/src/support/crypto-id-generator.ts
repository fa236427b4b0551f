import { randomInt } from 'node:crypto';
import { FORWARD_ID_PREFIX, FORWARD_ID_RANDOM_LENGTH, type ForwardId } from '../domain/forward-id';
import type { IdGenerator } from '../ports/id-generator.port';

// Lowercase: an id doubles as a DNS label in subdomain mode (see forward-id.ts).
const ALPHABET = '0123456789abcdefghijklmnopqrstuvwxyz';

/** Ids from the OS CSPRNG; `randomInt` is unbiased, unlike `byte % 36`. */
export class CryptoIdGenerator implements IdGenerator {
  forwardId(): ForwardId {
    let id = FORWARD_ID_PREFIX;
    for (let i = 0; i < FORWARD_ID_RANDOM_LENGTH; i += 1) id += ALPHABET[randomInt(ALPHABET.length)];
    return id as ForwardId;
  }
}
