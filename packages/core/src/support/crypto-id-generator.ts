import { randomInt } from 'node:crypto';
import { FORWARD_ID_PREFIX, FORWARD_ID_RANDOM_LENGTH, type ForwardId } from '../domain/forward-id';
import type { IdGenerator } from '../ports/id-generator.port';

const BASE62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';

/** Ids from the OS CSPRNG; `randomInt` is unbiased, unlike `byte % 62`. */
export class CryptoIdGenerator implements IdGenerator {
  forwardId(): ForwardId {
    let id = FORWARD_ID_PREFIX;
    for (let i = 0; i < FORWARD_ID_RANDOM_LENGTH; i += 1) id += BASE62[randomInt(BASE62.length)];
    return id as ForwardId;
  }
}
