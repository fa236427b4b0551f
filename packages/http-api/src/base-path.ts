/**
 * The path Porthole is served under when a platform mounts it below its own routes
 * (`https://platform.example/porthole/`): the public URL's path, which every link handed
 * out already carries, so routing and links cannot disagree.
 */

/** The public URL's path without trailing slashes: '' at the root, else e.g. `/porthole`. */
export function basePathOf(publicUrl: string): string {
  return new URL(publicUrl).pathname.replace(/\/+$/, '');
}

/**
 * A raw request target relative to `basePath` (`/porthole/p/x?q` → `/p/x?q`), or undefined
 * when it lies outside (`/portholes`, `/other`). Compared as sent: nothing is decoded.
 */
export function withinBasePath(url: string, basePath: string): string | undefined {
  if (basePath === '') return url;
  if (!url.startsWith(basePath)) return undefined;
  const rest = url.slice(basePath.length);
  if (rest === '' || rest.startsWith('?')) return `/${rest}`;
  return rest.startsWith('/') ? rest : undefined;
}
