import { isPlan, planOf, PLANS, type Principal } from '@porthole/core';
import { isNode, isSeq, LineCounter, parseDocument } from 'yaml';

/**
 * `PORTHOLE_TOKENS_FILE`: the people and programs that may use Porthole, one entry each,
 * in JSON:
 *
 *   { "tokens": [
 *       { "user": "alice", "role": "user", "plan": "pro", "sha256": "<hex of the token's SHA-256>" },
 *       { "user": "ci",    "role": "admin", "token": "<the token itself>" } ] }
 *
 * or the same in YAML (`tokens:` then one `- user: ...` item per entry).
 *
 * `sha256` keeps the file free of secrets (`printf %s "$TOKEN" | sha256sum`); `token` is
 * for quick set-ups. A user acts on containers whose `porthole.owner` label is their id;
 * an admin on every container. `plan` is optional: without it the principal has none, and
 * core's `planOf` gives the default for the role.
 */
export interface TokenEntry {
  /** SHA-256 of the token. */
  readonly digest: Buffer;
  readonly principal: Principal;
}

/** The admin token's user id (PORTHOLE_ADMIN_TOKEN): no entry of the file may take it. */
export const ADMIN_TOKEN_USER_ID = 'admin';

export class TokensFileError extends Error {
  override readonly name = 'TokensFileError';
}

export type TokensFileFormat = 'json' | 'yaml';

/** `.yaml` and `.yml` files are YAML; any other name is JSON. */
export function tokensFileFormat(fileName: string): TokensFileFormat {
  return /\.ya?ml$/i.test(fileName) ? 'yaml' : 'json';
}

const USER_ID = /^[A-Za-z0-9][A-Za-z0-9._@-]{0,127}$/;
const TOKEN = /^[A-Za-z0-9._~+-]{16,256}$/;
const SHA256_HEX = /^[0-9a-f]{64}$/i;
const FIELDS = new Set(['user', 'role', 'plan', 'token', 'sha256']);
const PLAN_NAMES = PLANS.map((plan) => `"${plan}"`);
const ONE_OF_THE_PLANS = `${PLAN_NAMES.slice(0, -1).join(', ')} or ${PLAN_NAMES.at(-1)}`;

/** The file's content, and for YAML the line each entry starts on (a list has no visible indexes). */
interface Parsed {
  readonly value: unknown;
  readonly lineOf: (index: number) => number | undefined;
}

function parseJson(text: string): Parsed {
  try {
    // A byte order mark, as some Windows editors write: not JSON, but not worth refusing.
    return { value: JSON.parse(text.replace(/^\uFEFF/, '')), lineOf: () => undefined };
  } catch (error) {
    throw new TokensFileError(`not valid JSON (${(error as Error).message})`);
  }
}

function parseYaml(text: string): Parsed {
  const lineCounter = new LineCounter();
  // The failsafe schema reads every scalar as a string: a token or a digest made only of
  // digits stays what was written, instead of becoming a (rounded) number.
  const document = parseDocument(text, { schema: 'failsafe', lineCounter });
  const [error] = document.errors;
  // The first line of the message names the line and column; the rest is a code frame.
  if (error !== undefined) throw new TokensFileError(`not valid YAML (${error.message.split('\n')[0]?.replace(/:$/, '')})`);
  let value: unknown;
  try {
    value = document.toJS();
  } catch (cause) {
    // An alias without an anchor, or too many aliases (a "billion laughs" file).
    throw new TokensFileError(`not valid YAML (${(cause as Error).message})`);
  }
  const tokens = document.get('tokens', true);
  return {
    value,
    lineOf: (index) => {
      const item: unknown = isSeq(tokens) ? tokens.items[index] : undefined;
      const start = isNode(item) ? item.range?.[0] : undefined;
      return start === undefined ? undefined : lineCounter.linePos(start).line;
    },
  };
}

/** Parses and checks the file; every problem names the entry it is in (and, in YAML, its line). */
export function parseTokensFile(text: string, digestOf: (token: string) => Buffer, format: TokensFileFormat): TokenEntry[] {
  const { value: parsed, lineOf } = format === 'yaml' ? parseYaml(text) : parseJson(text);
  const tokens = (parsed as { tokens?: unknown } | null)?.tokens;
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed) || !Array.isArray(tokens)) {
    throw new TokensFileError(format === 'yaml' ? 'must be a YAML mapping with a "tokens" list' : 'must be a JSON object with a "tokens" array');
  }
  const seen = new Set<string>();
  // Several entries may name one user (old and new token while rotating), but they must
  // agree on who that user is: otherwise the role and plan would depend on the token used.
  const users = new Map<string, { index: number; role: Principal['role']; plan: Principal['plan'] }>();
  return tokens.map((raw: unknown, index) => {
    const where = `tokens[${index}]`;
    const line = lineOf(index);
    const fail = (message: string) => new TokensFileError(line === undefined ? message : `${message} (line ${line})`);
    if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw fail(`${where} must be an object`);
    const entry = raw as Record<string, unknown>;
    const unknown = Object.keys(entry).filter((key) => !FIELDS.has(key));
    if (unknown.length > 0) throw fail(`${where} has unknown fields: ${unknown.join(', ')}`);
    const { user, role, plan, token, sha256 } = entry;
    if (typeof user !== 'string' || !USER_ID.test(user)) {
      throw fail(`${where}.user must be a user id (letters, digits, . _ @ -; up to 128)`);
    }
    // Else that user and the admin token would have one `principal` in the audit log.
    if (user === ADMIN_TOKEN_USER_ID) throw fail(`${where}: the user id ${ADMIN_TOKEN_USER_ID} is the admin token's; give this entry another`);
    if (role !== 'admin' && role !== 'user') throw fail(`${where}.role must be "admin" or "user"`);
    if (plan !== undefined && !isPlan(plan)) throw fail(`${where}.plan must be ${ONE_OF_THE_PLANS}`);
    if ((token === undefined) === (sha256 === undefined)) throw fail(`${where} needs exactly one of "token" and "sha256"`);
    if (token !== undefined && (typeof token !== 'string' || !TOKEN.test(token))) {
      throw fail(`${where}.token must be 16 to 256 characters of letters, digits and . _ ~ + -`);
    }
    if (sha256 !== undefined && (typeof sha256 !== 'string' || !SHA256_HEX.test(sha256))) {
      throw fail(`${where}.sha256 must be 64 hex digits`);
    }
    const digest = token !== undefined ? digestOf(token as string) : Buffer.from(sha256 as string, 'hex');
    const key = digest.toString('hex');
    if (seen.has(key)) throw fail(`${where} repeats the token of an earlier entry`);
    seen.add(key);
    const earlier = users.get(user);
    if (earlier !== undefined && earlier.role !== role) throw fail(`${where} gives user ${user} another role than tokens[${earlier.index}]`);
    const principal: Principal = plan === undefined ? { id: user, role } : { id: user, role, plan };
    // Compared as they take effect: no plan on a user is `free`, so that agrees with `free`.
    if (earlier !== undefined && earlier.plan !== planOf(principal)) throw fail(`${where} gives user ${user} another plan than tokens[${earlier.index}]`);
    users.set(user, earlier ?? { index, role, plan: planOf(principal) });
    return { digest, principal };
  });
}
