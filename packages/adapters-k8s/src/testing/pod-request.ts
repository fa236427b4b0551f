// How the fake reads a request to the pods resource: its path, RBAC verb, selectors and versions.
import { parseFieldSelector, parseLabelSelector, QueryError, type PodPredicate } from './pod-selectors';

/** The RBAC verbs (what a Role grants), not HTTP methods. */
export type KubeVerb = 'get' | 'list' | 'watch' | 'create' | 'update' | 'patch' | 'delete' | 'deletecollection';

// /api/v1/pods, /api/v1/namespaces/{ns}/pods[/{name}[/{subresource}]]
const POD_PATH = /^\/api\/v1\/(?:namespaces\/([^/]+)\/)?pods(?:\/([^/]+)(?:\/([^/]+))?)?\/?$/;

export interface PodRoute {
  readonly namespace: string;
  readonly name?: string;
  readonly subresource?: string;
}

export function podRoute(pathname: string): PodRoute | undefined {
  const match = POD_PATH.exec(pathname);
  if (match === null) return undefined;
  let parts: (string | undefined)[];
  try {
    parts = match.map((part) => (part === undefined ? undefined : decodeURIComponent(part)));
  } catch {
    return undefined; // a malformed %-escape names nothing
  }
  const [, namespace, name, subresource] = parts;
  // Pods are namespaced: /api/v1/pods lists them all, /api/v1/pods/{name} is nothing.
  if (namespace === undefined && name !== undefined) return undefined;
  return { namespace: namespace ?? '', ...(name !== undefined && { name }), ...(subresource !== undefined && { subresource }) };
}

export function verbOf(method: string, route: PodRoute, url: URL): KubeVerb {
  const one = route.name !== undefined;
  switch (method) {
    case 'POST':
      return 'create';
    case 'PUT':
      return 'update';
    case 'PATCH':
      return 'patch';
    case 'DELETE':
      return one ? 'delete' : 'deletecollection';
    default:
      if (one) return 'get';
      // Go's strconv.ParseBool, as the server reads `watch`.
      return ['1', 't', 'T', 'true', 'TRUE', 'True'].includes(url.searchParams.get('watch') ?? '') ? 'watch' : 'list';
  }
}

export function podFilter(url: URL): PodPredicate {
  const labels = url.searchParams.get('labelSelector');
  const fields = url.searchParams.get('fieldSelector');
  const byLabels = labels === null ? undefined : parseLabelSelector(labels);
  const byFields = fields === null ? undefined : parseFieldSelector(fields);
  return (pod) => (byLabels?.(pod) ?? true) && (byFields?.(pod) ?? true);
}

export function resourceVersionOf(url: URL): number | undefined {
  const text = url.searchParams.get('resourceVersion');
  if (text === null || text === '') return undefined;
  if (!/^\d+$/.test(text)) throw new QueryError(`resourceVersion: Invalid value: "${text}": must be an unsigned integer`);
  return Number(text);
}

export function parseContinue(token: string): { version: number; start: number } | undefined {
  try {
    const { v, s } = JSON.parse(Buffer.from(token, 'base64url').toString('utf8')) as { v?: unknown; s?: unknown };
    return typeof v === 'number' && typeof s === 'number' ? { version: v, start: s } : undefined;
  } catch {
    return undefined;
  }
}
