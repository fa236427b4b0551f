import type { ForwardEvent, ForwardId, PortForward, PortNumber, Principal } from '@porthole/core';
import { auditEntryOf } from './audit-log';

const forward: PortForward = {
  id: 'pf_000000000000000000000001' as ForwardId,
  containerId: 'c0ffee',
  containerPort: 8080 as PortNumber,
  localPort: 20000 as PortNumber,
  name: null,
  customDomain: null,
  owner: 'admin',
  incarnation: 'i1',
  createdAt: new Date(0),
};
const ADMIN_TOKEN: Principal = { id: 'admin', role: 'admin' };
// A platform may name a user `admin` in a JWT's `sub`: same id, not the admin token.
const USER_NAMED_ADMIN: Principal = { id: 'admin', role: 'user' };

describe('auditEntryOf', () => {
  it.each<[string, ForwardEvent, { principal: string | null; role: string | null }]>([
    ['a create by the admin token', { type: 'forward_created', forward, principal: ADMIN_TOKEN }, { principal: 'admin', role: 'admin' }],
    ['a create by a user named admin', { type: 'forward_created', forward, principal: USER_NAMED_ADMIN }, { principal: 'admin', role: 'user' }],
    ['a change', { type: 'forward_updated', forward, previous: forward, principal: USER_NAMED_ADMIN }, { principal: 'admin', role: 'user' }],
    ['a delete', { type: 'forward_removed', forward, reason: 'deleted', detail: 'deleted by admin', principal: ADMIN_TOKEN }, { principal: 'admin', role: 'admin' }],
    ['a lifecycle cleanup: no principal, no role', { type: 'forward_removed', forward, reason: 'container_stopped', detail: 'container died' }, { principal: null, role: null }],
    ['a refusal', { type: 'access_denied', principal: USER_NAMED_ADMIN, reason: 'not_owner', container: 'c0ffee' }, { principal: 'admin', role: 'user' }],
  ])('gives the role next to the principal: %s', (_name, event, who) => {
    expect(auditEntryOf(event)).toMatchObject(who);
  });
});
