import { ApiException } from '@kubernetes/client-node';
import { classifyApiError } from './kubernetes-errors';

const status = (code: number, message: string) =>
  new ApiException(code, 'HTTP-Code', JSON.stringify({ kind: 'Status', code, message }), {});

describe('classifyApiError', () => {
  it('reads 404 as no such pod', () => {
    expect(classifyApiError(status(404, 'pods "x" not found'), 'reading pod x', 'get pods')).toEqual({ kind: 'not_found' });
  });

  it.each([
    ['forbidden (RBAC), naming the permission', status(403, 'pods is forbidden: User "system:serviceaccount:p:porthole" cannot list resource "pods"'), /needs the RBAC permission "list pods" \(pods is forbidden: User "system:serviceaccount:p:porthole"/],
    ['a server error', status(500, 'etcd is down'), /answered 500 while listing pods: etcd is down/],
    ['the watch reporting a status', Object.assign(new Error('Forbidden'), { statusCode: 403 }), /needs the RBAC permission "list pods"/],
    ['a network error', Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:6443'), { code: 'ECONNREFUSED' }), /cannot be reached while listing pods: connect ECONNREFUSED/],
  ])('makes %s "unavailable"', (_name, error, message) => {
    const outcome = classifyApiError(error, 'listing pods', 'list pods');
    expect(outcome.kind).toBe('failure');
    if (outcome.kind !== 'failure') return;
    expect(outcome.failure.reason).toBe('unavailable');
    expect(outcome.failure.message).toMatch(message);
  });
});
