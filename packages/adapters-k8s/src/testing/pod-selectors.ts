import type { FakePod } from './fake-pod-store';

/** A parsed label or field selector. */
export type PodPredicate = (pod: FakePod) => boolean;

/** A query parameter the server cannot read: a 400 BadRequest. */
export class QueryError extends Error {
  override readonly name = 'QueryError';
}

// One requirement of a label selector: `k=v`, `k==v`, `k!=v`, `k`, `!k`, `k in (a,b)`, `k notin (a,b)`.
const LABEL_REQUIREMENT = /^\s*(!?)\s*([A-Za-z0-9][A-Za-z0-9._/-]*)\s*(?:(==|=|!=)\s*([A-Za-z0-9._-]*)|\s+(in|notin)\s*\(([^)]*)\))?\s*$/;

/** Splits at the commas that are not inside `( )`. */
function requirements(selector: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let start = 0;
  for (let i = 0; i < selector.length; i++) {
    const c = selector[i];
    if (c === '(') depth++;
    else if (c === ')') depth--;
    else if (c === ',' && depth === 0) {
      parts.push(selector.slice(start, i));
      start = i + 1;
    }
  }
  parts.push(selector.slice(start));
  return parts.filter((part) => part.trim() !== '');
}

export function parseLabelSelector(selector: string): PodPredicate {
  const tests = requirements(selector).map((text): PodPredicate => {
    const match = LABEL_REQUIREMENT.exec(text);
    if (match === null || (match[1] === '!' && match[3] !== undefined)) {
      throw new QueryError(`unable to parse requirement: invalid label selector "${text.trim()}"`);
    }
    const [, not, key = '', op, value = '', setOp, set = ''] = match;
    const labelOf = (pod: FakePod): string | undefined => pod.metadata.labels?.[key];
    if (op === '=' || op === '==') return (pod) => labelOf(pod) === value;
    if (op === '!=') return (pod) => labelOf(pod) !== value;
    if (setOp !== undefined) {
      const values = new Set(set.split(',').map((v) => v.trim()));
      return setOp === 'in'
        ? (pod) => values.has(labelOf(pod) ?? '\0')
        : (pod) => !values.has(labelOf(pod) ?? '\0');
    }
    return not === '!' ? (pod) => labelOf(pod) === undefined : (pod) => labelOf(pod) !== undefined;
  });
  return (pod) => tests.every((test) => test(pod));
}

// The field labels the kube-apiserver supports for pods (a subset: the ones worth faking).
const POD_FIELDS: Record<string, (pod: FakePod) => string> = {
  'metadata.name': (pod) => pod.metadata.name,
  'metadata.namespace': (pod) => pod.metadata.namespace,
  'status.phase': (pod) => pod.status.phase,
  'status.podIP': (pod) => pod.status.podIP ?? '',
  'spec.nodeName': (pod) => pod.spec.nodeName ?? '',
};

const FIELD_REQUIREMENT = /^\s*([A-Za-z.]+)\s*(==|=|!=)\s*([^,]*?)\s*$/;

export function parseFieldSelector(selector: string): PodPredicate {
  const tests = requirements(selector).map((text): PodPredicate => {
    const match = FIELD_REQUIREMENT.exec(text);
    if (match === null) throw new QueryError(`invalid selector: '${text.trim()}'; can't understand '${text.trim()}'`);
    const [, field = '', op, value] = match;
    const read = POD_FIELDS[field];
    if (read === undefined) throw new QueryError(`field label not supported: ${field}`);
    return op === '!=' ? (pod) => read(pod) !== value : (pod) => read(pod) === value;
  });
  return (pod) => tests.every((test) => test(pod));
}

/** The name a list or watch is narrowed to by `metadata.name=x`, which RBAC sees as its name. */
export function nameInFieldSelector(selector: string | null): string | undefined {
  if (selector === null) return undefined;
  for (const text of requirements(selector)) {
    const match = FIELD_REQUIREMENT.exec(text);
    if (match?.[1] === 'metadata.name' && match[2] !== '!=') return match[3];
  }
  return undefined;
}
