/**
 * The real `curl` binary, for end-to-end tests that want a client other than Node's own,
 * with the name resolution a person would set up by hand (`--resolve`). .ci/run installs
 * it where it is missing.
 *
 *   const res = await curl(`http://app.example.test:${port}/hello`, { resolve: ['app.example.test'] });
 *
 * Every name in `resolve` is pinned to 127.0.0.1 at the URL's port, so curl never asks a
 * resolver for it; `--noproxy '*'` keeps a proxy from the environment out of the way.
 */
import { execFile } from 'node:child_process';

export interface CurlResponse {
  readonly status: number;
  /** Header names lowercased; repeated fields (set-cookie) in order. */
  readonly headers: Readonly<Record<string, readonly string[]>>;
  readonly body: string;
}

export interface CurlOptions {
  readonly method?: string;
  readonly headers?: Readonly<Record<string, string>>;
  /** Host names to pin to 127.0.0.1 (`--resolve name:port:127.0.0.1`). */
  readonly resolve?: readonly string[];
  /** A request body, sent from stdin (`--data-binary @-`; the method becomes POST). */
  readonly body?: Buffer;
  /** Any further curl options, such as `--expect100-timeout 10`. */
  readonly extraArgs?: readonly string[];
}

/** Seconds curl may take for one request (`--max-time`). */
const MAX_TIME_SECONDS = 10;

export function curl(url: string, options: CurlOptions = {}): Promise<CurlResponse> {
  const port = new URL(url).port || '80';
  const args = ['--silent', '--show-error', '--include', '--noproxy', '*', '--max-time', String(MAX_TIME_SECONDS)];
  for (const name of options.resolve ?? []) args.push('--resolve', `${name}:${port}:127.0.0.1`);
  if (options.method !== undefined) args.push('--request', options.method);
  for (const [name, value] of Object.entries(options.headers ?? {})) args.push('--header', `${name}: ${value}`);
  if (options.body !== undefined) args.push('--data-binary', '@-');
  args.push(...(options.extraArgs ?? []), '--', url);
  return new Promise((resolve, reject) => {
    const child = execFile('curl', args, { encoding: 'utf8', maxBuffer: 16 * 1024 * 1024 }, (error, stdout, stderr) => {
      if (error !== null) {
        reject(new Error(`curl ${url} failed (${error.code ?? error.signal}): ${stderr.trim()}`));
        return;
      }
      resolve(parseIncluded(stdout));
    });
    child.stdin?.end(options.body);
  });
}

/** `curl --include` output: the status line, header lines, a blank line, the body (after any `100 Continue`). */
function parseIncluded(included: string): CurlResponse {
  const output = included.replace(/^(HTTP\/[\d.]+ 100[^\r]*\r\n\r\n)+/, '');
  const end = output.indexOf('\r\n\r\n');
  const head = end === -1 ? output : output.slice(0, end);
  const [statusLine = '', ...lines] = head.split('\r\n');
  const status = Number(/^HTTP\/[\d.]+ (\d{3})/.exec(statusLine)?.[1] ?? 0);
  const headers: Record<string, string[]> = {};
  for (const line of lines) {
    const colon = line.indexOf(':');
    if (colon <= 0) continue;
    const name = line.slice(0, colon).trim().toLowerCase();
    (headers[name] ??= []).push(line.slice(colon + 1).trim());
  }
  return { status, headers, body: end === -1 ? '' : output.slice(end + 4) };
}
