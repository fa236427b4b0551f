import type { ForwardJson } from '../api/forward-json';
import { renderDetails, renderTable } from './table';

/** `2026-12-03T12:00:00.000Z` → `2026-12-03 12:00:00Z`: sortable, and fits a column. */
function shortTime(iso: string): string {
  return iso.replace('T', ' ').replace(/\.\d+Z$/, 'Z');
}

/**
 * Where a forward's custom domain answers: `<scheme>://<domain>[:<port>]/`, with the
 * scheme and port of its proxy_url, since one listener serves both (README "Custom
 * domains"). The server sends no such URL with the forward, only with a link.
 */
function customDomainUrl(forward: ForwardJson): string | undefined {
  const domain = forward.custom_domain;
  if (domain === undefined || domain === null) return undefined;
  let proxy: URL;
  try {
    proxy = new URL(forward.proxy_url);
  } catch {
    return domain;
  }
  return `${proxy.protocol}//${domain}${proxy.port === '' ? '' : `:${proxy.port}`}/`;
}

/**
 * `porthole forward ls`: one row per forward, oldest first as the server sends them. The
 * DOMAIN column comes last, and only when a forward has a custom domain: most have none,
 * and a column of dashes would only push the rest apart.
 */
export function forwardTable(forwards: readonly ForwardJson[]): string {
  const withDomains = forwards.some((f) => typeof f.custom_domain === 'string');
  return renderTable(
    ['ID', 'NAME', 'PORT', 'LOCAL PORT', 'CREATED', ...(withDomains ? ['DOMAIN'] : [])],
    forwards.map((f) => [
      f.id,
      f.name ?? '-',
      String(f.container_port),
      String(f.local_port),
      shortTime(f.created_at),
      ...(withDomains ? [f.custom_domain ?? '-'] : []),
    ]),
  );
}

/** `porthole forward create` and `domain`: the forward, and how to reach it. */
export function forwardDetails(forward: ForwardJson): string {
  const domainUrl = customDomainUrl(forward);
  return renderDetails([
    ['id', forward.id],
    ['name', forward.name ?? '-'],
    ['container', forward.container_id],
    ['port', String(forward.container_port)],
    ['local port', String(forward.local_port)],
    ['proxy', forward.proxy_url],
    ...(domainUrl === undefined ? [] : [['domain', domainUrl] as const]),
    ['tunnel', `porthole connect ${forward.id}`],
    ['created', shortTime(forward.created_at)],
  ]);
}

/** Machine output: the API's own JSON, so scripts see the documented fields. */
export function asJson(value: unknown): string {
  return `${JSON.stringify(value, null, 2)}\n`;
}
