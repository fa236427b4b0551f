import type { Principal } from '@porthole/core';

/**
 * `PORTHOLE_TOKENS_FILE`: the people and programs that may use Porthole, one entry each.
 *
 *   { "tokens": [
 *       { "user": "alice", "role": "user", "sha256": "<hex of the token's SHA-256>" },
 *       { "user": "ci",    "role": "admin", "token": "<the token itself>" } ] }
 *
 * `sha256` keeps the file free of secrets (`printf %s "$TOKEN" | sha256sum`); `token` is
 * for quick set-ups. A user acts on containers whose `porthole.owner` label is their id;
 * an admin on every container.
 */
export interface TokenEntry {
  /** SHA-256 of the token. */
  readonly digest: Buffer;
  readonly principal: Principal;
}

export class TokensFileError extends Error {
  override readonly name = 'TokensFileError';
}

const USER_ID = /^[A-Za-z0-9][A-Za-z0-9._@-]{0,127}$/;
const TOKEN = /^[A-Za-z0-9._~+-]{16,256}$/;
const SHA256_HEX = /^[0-9a-f]{64}$/i;
const FIELDS = new Set(['user', 'role', 'token', 'sha256']);

/** Parses and checks the file; every problem names the entry it is in. */
export function parseTokensFile(text: string, digestOf: (token: string) => Buffer): TokenEntry[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new TokensFileError(`not valid JSON (${(error as Error).message})`);
  }
  const tokens = (parsed as { tokens?: unknown } | null)?.tokens;
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed) || !Array.isArray(tokens)) {
    throw new TokensFileError('must be a JSON object with a "tokens" array');
  }
  const seen = new Set<string>();
  return tokens.map((raw: unknown, index) => {
    const where = `tokens[${index}]`;
    if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw new TokensFileError(`${where} must be an object`);
    const entry = raw as Record<string, unknown>;
    const unknown = Object.keys(entry).filter((key) => !FIELDS.has(key));
    if (unknown.length > 0) throw new TokensFileError(`${where} has unknown fields: ${unknown.join(', ')}`);
    const { user, role, token, sha256 } = entry;
    if (typeof user !== 'string' || !USER_ID.test(user)) {
      throw new TokensFileError(`${where}.user must be a user id (letters, digits, . _ @ -; up to 128)`);
    }
    if (role !== 'admin' && role !== 'user') throw new TokensFileError(`${where}.role must be "admin" or "user"`);
    if ((token === undefined) === (sha256 === undefined)) throw new TokensFileError(`${where} needs exactly one of "token" and "sha256"`);
    if (token !== undefined && (typeof token !== 'string' || !TOKEN.test(token))) {
      throw new TokensFileError(`${where}.token must be 16 to 256 characters of letters, digits and . _ ~ + -`);
    }
    if (sha256 !== undefined && (typeof sha256 !== 'string' || !SHA256_HEX.test(sha256))) {
      throw new TokensFileError(`${where}.sha256 must be 64 hex digits`);
    }
    const digest = token !== undefined ? digestOf(token as string) : Buffer.from(sha256 as string, 'hex');
    const key = digest.toString('hex');
    if (seen.has(key)) throw new TokensFileError(`${where} repeats the token of an earlier entry`);
    seen.add(key);
    return { digest, principal: { id: user, role } };
  });
}
