import type { ForwardJson } from '../api/forward-json';
import { renderDetails, renderTable } from './table';

/** `2026-12-03T12:00:00.000Z` → `2026-12-03 12:00:00Z`: sortable, and fits a column. */
function shortTime(iso: string): string {
  return iso.replace('T', ' ').replace(/\.\d+Z$/, 'Z');
}

/** `porthole forward ls`: one row per forward, oldest first as the server sends them. */
export function forwardTable(forwards: readonly ForwardJson[]): string {
  return renderTable(
    ['ID', 'NAME', 'PORT', 'LOCAL PORT', 'CREATED'],
    forwards.map((f) => [f.id, f.name ?? '-', String(f.container_port), String(f.local_port), shortTime(f.created_at)]),
  );
}

/** `porthole forward create`: the new forward, and how to reach it. */
export function forwardDetails(forward: ForwardJson): string {
  return renderDetails([
    ['id', forward.id],
    ['name', forward.name ?? '-'],
    ['container', forward.container_id],
    ['port', String(forward.container_port)],
    ['local port', String(forward.local_port)],
    ['proxy', forward.proxy_url],
    ['tunnel', `porthole connect ${forward.id}`],
    ['created', shortTime(forward.created_at)],
  ]);
}

/** Machine output: the API's own JSON, so scripts see the documented fields. */
export function asJson(value: unknown): string {
  return `${JSON.stringify(value, null, 2)}\n`;
}
