import { chmod, mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import path from 'node:path';
import { CliError } from '../cli-error';

/** What `porthole login` saves: where Porthole is, and the token to show it. */
export interface SavedLogin {
  readonly url: string;
  readonly token: string;
}

/**
 * `$XDG_CONFIG_HOME/porthole/config.json`, or `~/.config/porthole/config.json` when
 * XDG_CONFIG_HOME is unset (the XDG base directory rule most CLIs on Linux follow).
 */
export function configFilePath(env: Readonly<Record<string, string | undefined>>): string {
  const xdg = env['XDG_CONFIG_HOME'];
  const base = xdg !== undefined && path.isAbsolute(xdg) ? xdg : path.join(env['HOME'] || homedir(), '.config');
  return path.join(base, 'porthole', 'config.json');
}

/** The saved login, or undefined when there is none. Fails on a file that is not ours. */
export async function readSavedLogin(file: string): Promise<SavedLogin | undefined> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new CliError(`cannot read ${file}: ${(error as Error).message}`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new CliError(`${file} is not valid JSON; run \`porthole login\` again`);
  }
  const { url, token } = (parsed ?? {}) as Record<string, unknown>;
  if (typeof url !== 'string' || typeof token !== 'string') {
    throw new CliError(`${file} has no "url" and "token"; run \`porthole login\` again`);
  }
  return { url, token };
}

/**
 * Saves the login readable by its owner only (0600, in a 0700 folder): the token is a
 * credential. Written to a temporary file and renamed, so a crash never leaves half a file.
 */
export async function writeSavedLogin(file: string, login: SavedLogin): Promise<void> {
  const folder = path.dirname(file);
  const temporary = `${file}.${process.pid}.tmp`;
  try {
    await mkdir(folder, { recursive: true, mode: 0o700 });
    await writeFile(temporary, `${JSON.stringify(login, null, 2)}\n`, { mode: 0o600 });
    // The mode given at creation is narrowed by the umask, never widened; chmod makes it exact.
    await chmod(temporary, 0o600);
    await rename(temporary, file);
  } catch (error) {
    await rm(temporary, { force: true });
    throw new CliError(`cannot save the login to ${file}: ${(error as Error).message}`);
  }
}
