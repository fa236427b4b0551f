import { InMemoryForwardStore } from '../adapters/in-memory-forward-store';
import { RangePortAllocator } from '../adapters/range-port-allocator';
import type { DomainErrorCode } from '../domain/errors';
import type { Principal } from '../domain/principal';
import type { PlanOverrides } from '../rules/plan-rules';
import { CryptoIdGenerator } from '../support/crypto-id-generator';
import { FakeContainerRuntime } from '../testing/fake-container-runtime';
import { FixedClock } from '../testing/fixed-clock';
import { errorCodeOf } from '../testing/error-code-of';
import { RecordingPublisher } from '../testing/recording-publisher';
import { ForwardService } from './forward.service';

// Plans, custom domains and the audit trail of refusals (issue 6).
const admin: Principal = { id: 'admin', role: 'admin' };
const aliceFree: Principal = { id: 'alice', role: 'user' };
const alicePro: Principal = { id: 'alice', role: 'user', plan: 'pro' };
const bobPro: Principal = { id: 'bob', role: 'user', plan: 'pro' };

function setUp(plans?: PlanOverrides, reservedDomains = ['porthole.example.com', 'preview.example.com'], store = new InMemoryForwardStore()) {
  const runtime = new FakeContainerRuntime([
    { id: 'alices0000', name: 'alices', owner: 'alice' },
    { id: 'alices1111', name: 'alices2', owner: 'alice' },
    { id: 'bobs000000', name: 'bobs', owner: 'bob' },
  ]);
  const events = new RecordingPublisher();
  const service = new ForwardService({
    runtime,
    store,
    localPorts: new RangePortAllocator({ first: 20000, last: 20099 }),
    ids: new CryptoIdGenerator(),
    clock: new FixedClock(),
    events,
    policy: { maxForwardsPerContainer: 10, reservedDomains, ...(plans ? { plans } : {}) },
  });
  return { runtime, events, service, store };
}

const codeOf = errorCodeOf;

describe('custom domains on create', () => {
  it.each<[string, Principal, string, unknown, DomainErrorCode | 'none']>([
    ['a pro user, own container', alicePro, 'alices', 'app.example.com', 'none'],
    ['an enterprise user', { id: 'alice', role: 'user', plan: 'enterprise' }, 'alices', 'app.example.com', 'none'],
    ['an admin (enterprise unless told otherwise)', admin, 'bobs', 'app.example.com', 'none'],
    ['a free user', aliceFree, 'alices', 'app.example.com', 'plan_required'],
    ['an admin on the free plan', { id: 'ops', role: 'admin', plan: 'free' }, 'alices', 'app.example.com', 'plan_required'],
    ['a free user, no domain asked for', aliceFree, 'alices', null, 'none'],
    ['a free user on another user\'s container: not found, not plan_required', aliceFree, 'bobs', 'app.example.com', 'container_not_found'],
    ['a bad host name: invalid before anything else', aliceFree, 'bobs', 'not a host', 'invalid_request'],
    ['Porthole\'s own host', alicePro, 'alices', 'porthole.example.com', 'invalid_request'],
    ['a host under the preview domain', alicePro, 'alices', 'pf-x.preview.example.com', 'invalid_request'],
  ])('%s', async (_description, principal, container, customDomain, expected) => {
    const { service } = setUp();
    expect(await codeOf(service.createForward(principal, container, { containerPort: 80, customDomain }))).toBe(expected);
  });

  it('stores the domain as browsers send it, and gives it to no second forward', async () => {
    const { service } = setUp();
    const forward = await service.createForward(alicePro, 'alices', { containerPort: 80, customDomain: 'App.Example.COM.' });
    expect(forward.customDomain).toBe('app.example.com');
    expect(await codeOf(service.createForward(bobPro, 'bobs', { containerPort: 80, customDomain: 'app.example.com' }))).toBe('domain_taken');
    // Refused whole: no forward, so port 80 is still free on that container.
    expect(await service.listForwards(bobPro, 'bobs')).toEqual([]);
    await service.deleteForward(alicePro, 'alices', forward.id);
    expect(await codeOf(service.createForward(bobPro, 'bobs', { containerPort: 80, customDomain: 'app.example.com' }))).toBe('none');
  });
});

describe('custom domains on update', () => {
  it('sets, moves and clears a domain, announcing each change', async () => {
    const { service, events } = setUp();
    const forward = await service.createForward(alicePro, 'alices', { containerPort: 80 });
    const updated = await service.updateForward(alicePro, 'alices', forward.id, { customDomain: 'a.example.com' });
    expect(updated).toEqual({ ...forward, customDomain: 'a.example.com' });
    expect(events.events.at(-1)).toEqual({ type: 'forward_updated', forward: updated, previous: forward, principal: alicePro });
    const moved = await service.updateForward(alicePro, 'alices', forward.id, { customDomain: 'b.example.com' });
    expect(moved.customDomain).toBe('b.example.com');
    const other = await service.createForward(alicePro, 'alices2', { containerPort: 80 });
    // The first domain was let go when it moved.
    expect((await service.updateForward(alicePro, 'alices2', other.id, { customDomain: 'a.example.com' })).customDomain).toBe('a.example.com');
    expect(await codeOf(service.updateForward(alicePro, 'alices2', other.id, { customDomain: 'b.example.com' }))).toBe('domain_taken');
    expect((await service.updateForward(alicePro, 'alices', forward.id, { customDomain: null })).customDomain).toBeNull();
  });

  it.each<[string, Principal, unknown, DomainErrorCode | 'none']>([
    ['a free user may clear a domain', aliceFree, null, 'none'],
    ['a free user may not set one', aliceFree, 'c.example.com', 'plan_required'],
    ['another user gets not found, whatever the plan', bobPro, 'c.example.com', 'forward_not_found'],
    ['a value that is not a host name', alicePro, 42, 'invalid_request'],
  ])('%s', async (_description, principal, customDomain, expected) => {
    const { service } = setUp();
    const forward = await service.createForward(alicePro, 'alices', { containerPort: 80, customDomain: 'c.example.com' });
    const container = principal.id === 'bob' ? 'bobs' : 'alices';
    expect(await codeOf(service.updateForward(principal, container, forward.id, { customDomain }))).toBe(expected);
  });
});

describe('custom domains at start-up', () => {
  it('takes a stored domain off its forward once it is one of Porthole\'s own names, and keeps the forward', async () => {
    const before = setUp();
    const shadowing = await before.service.createForward(alicePro, 'alices', { containerPort: 80, customDomain: 'alias.example.com' });
    const fine = await before.service.createForward(alicePro, 'alices', { containerPort: 81, customDomain: 'app.example.com' });
    // Restarted with that name reserved (an alias of Porthole's public host).
    const after = setUp(undefined, ['alias.example.com'], before.store);
    const report = await after.service.restore();
    expect(report.kept).toEqual([{ ...shadowing, customDomain: null }, fine]);
    expect(report.domainsCleared).toEqual([
      { forward: { ...shadowing, customDomain: null }, message: expect.stringMatching(/alias\.example\.com is Porthole's own host name/) },
    ]);
    expect(after.events.events).toEqual([
      { type: 'forward_updated', forward: { ...shadowing, customDomain: null }, previous: shadowing, reason: 'custom domain is reserved' },
    ]);
    expect((await before.store.get(shadowing.id))?.customDomain).toBeNull();
  });
});

describe('per-plan caps', () => {
  it.each<[string, PlanOverrides | undefined, Principal, number]>([
    ['every plan has the default cap unless configured', undefined, aliceFree, 10],
    ['a configured free cap', { free: { maxForwardsPerContainer: 2 } }, aliceFree, 2],
    ['a pro cap of its own', { free: { maxForwardsPerContainer: 2 }, pro: { maxForwardsPerContainer: 4 } }, alicePro, 4],
    ['an admin is enterprise: the default cap', { free: { maxForwardsPerContainer: 2 } }, admin, 10],
  ])('%s', async (_description, plans, principal, cap) => {
    const { service } = setUp(plans);
    let created = 0;
    for (let port = 1; port <= 12; port += 1) {
      if ((await codeOf(service.createForward(principal, 'alices', { containerPort: port }))) === 'none') created += 1;
    }
    expect(created).toBe(cap);
  });
});

describe('the audit trail of refusals', () => {
  it('announces a refusal for another user\'s container or forward, and for a plan, but not for what does not exist', async () => {
    const { service, events } = setUp();
    const bobs = await service.createForward(bobPro, 'bobs', { containerPort: 80 });
    events.events.length = 0;
    await codeOf(service.listForwards(aliceFree, 'bobs'));
    await codeOf(service.resolveForward(aliceFree, bobs.id));
    await codeOf(service.createForward(aliceFree, 'alices', { containerPort: 81, customDomain: 'x.example.com' }));
    await codeOf(service.listForwards(aliceFree, 'nothing-here'));
    await codeOf(service.resolveForward(aliceFree, 'pf_000000000000000000000000'));
    expect(events.events).toEqual([
      { type: 'access_denied', principal: aliceFree, reason: 'not_owner', container: 'bobs000000' },
      { type: 'access_denied', principal: aliceFree, reason: 'not_owner', container: 'bobs000000', forwardId: bobs.id },
      { type: 'access_denied', principal: aliceFree, reason: 'plan_required', container: 'alices0000' },
    ]);
  });
});
