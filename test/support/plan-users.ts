/**
 * Two users on different plans, from a real tokens file (PORTHOLE_TOKENS_FILE): paula on
 * `pro` (custom domains allowed) and fred on `free` (not). Each owns the containers
 * labelled `porthole.owner=<id>`.
 *
 *   const users = writePlanTokensFile();
 *   porthole = await startTestPorthole({ PORTHOLE_TOKENS_FILE: users.file });
 *   afterAll(() => users.remove());
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

export const PRO = { id: 'paula', token: 'paula-pro-token-0123456789abcdef' } as const;
export const FREE = { id: 'fred', token: 'fred-free-token-0123456789abcdef' } as const;

/** Labels that make a fixture container the user's own. */
export const ownedBy = (user: { readonly id: string }): Record<string, string> => ({ 'porthole.owner': user.id });

export interface PlanTokensFile {
  readonly file: string;
  remove(): void;
}

/** Writes the tokens file (JSON, plain tokens) into a fresh temporary directory. */
export function writePlanTokensFile(): PlanTokensFile {
  const dir = mkdtempSync(path.join(tmpdir(), 'porthole-plans-'));
  const file = path.join(dir, 'tokens.json');
  writeFileSync(
    file,
    JSON.stringify({
      tokens: [
        { user: PRO.id, role: 'user', plan: 'pro', token: PRO.token },
        { user: FREE.id, role: 'user', plan: 'free', token: FREE.token },
      ],
    }),
  );
  return { file, remove: () => rmSync(dir, { recursive: true, force: true }) };
}
