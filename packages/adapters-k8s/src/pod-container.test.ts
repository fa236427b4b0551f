import type { V1Pod } from '@kubernetes/client-node';
import { canonicalIdOf, isLabelValue, isPodName, isPodRunning, isTerminated, podState, toRuntimeContainer } from './pod-container';

function pod(overrides: { phase?: string; ready?: boolean[]; deleting?: boolean; labels?: Record<string, string> } = {}): V1Pod {
  const { phase = 'Running', ready = [true], deleting = false, labels } = overrides;
  return {
    metadata: { name: 'web-0', uid: 'uid-1', ...(labels ? { labels } : {}), ...(deleting ? { deletionTimestamp: new Date() } : {}) },
    status: { phase, containerStatuses: ready.map((r, i) => ({ name: `c${i}`, ready: r, image: 'x', imageID: 'x', restartCount: 0 })) },
  } as V1Pod;
}

describe('isPodRunning and podState', () => {
  it.each([
    ['running and ready', pod(), true, 'running'],
    ['one container not ready', pod({ ready: [true, false] }), false, 'running, not ready'],
    ['no container status yet', pod({ ready: [] }), false, 'running, not ready'],
    ['pending', pod({ phase: 'Pending', ready: [false] }), false, 'pending'],
    ['succeeded', pod({ phase: 'Succeeded', ready: [false] }), false, 'succeeded'],
    ['failed', pod({ phase: 'Failed', ready: [false] }), false, 'failed'],
    ['being deleted, still ready', pod({ deleting: true }), false, 'terminating'],
  ])('%s', (_name, given, running, state) => {
    expect(isPodRunning(given)).toBe(running);
    expect(podState(given)).toBe(state);
  });

  it.each([
    ['running', pod(), false],
    ['not ready (a probe failing) is not the end of this life', pod({ ready: [false] }), false],
    ['being deleted', pod({ deleting: true }), true],
    ['succeeded', pod({ phase: 'Succeeded' }), true],
    ['failed', pod({ phase: 'Failed' }), true],
  ])('isTerminated: %s', (_name, given, expected) => {
    expect(isTerminated(given)).toBe(expected);
  });
});

describe('canonicalIdOf', () => {
  it.each([
    ['the container-id label when there is one', pod({ labels: { 'porthole.dev/container-id': 'sandbox-42' } }), 'sandbox-42'],
    ['else the pod name', pod(), 'web-0'],
    ['a label value Kubernetes would not accept is ignored', pod({ labels: { 'porthole.dev/container-id': 'a b' } }), 'web-0'],
  ])('%s', (_name, given, expected) => {
    expect(canonicalIdOf(given)).toBe(expected);
  });
});

describe('toRuntimeContainer', () => {
  it('reduces a pod to what the domain needs', () => {
    expect(toRuntimeContainer(pod({ labels: { 'porthole.owner': 'alice' } }))).toEqual({
      id: 'web-0',
      name: 'web-0',
      running: true,
      paused: false,
      state: 'running',
      incarnation: 'uid-1/alice',
      owner: 'alice',
    });
  });

  it.each([
    ['no owner label: the uid', {}, 'uid-1'],
    ['an owner label: the uid and the owner (a new owner is a new life)', { 'porthole.owner': 'bob' }, 'uid-1/bob'],
  ])('its incarnation with %s', (_description, labels, expected) => {
    expect(toRuntimeContainer(pod({ labels })).incarnation).toBe(expected);
  });
});

describe('reference checks', () => {
  it.each([
    ['sandbox-42', true],
    ['a.b_c-d', true],
    ['-leading', false],
    ['a,b!=c', false],
    ['x'.repeat(64), false],
    ['', false],
  ])('isLabelValue(%j) is %s', (value, expected) => {
    expect(isLabelValue(value)).toBe(expected);
  });

  it.each([
    ['web-0', true],
    ['web.example', true],
    ['Web', false],
    ['ns/web', false],
    ['../x', false],
  ])('isPodName(%j) is %s', (value, expected) => {
    expect(isPodName(value)).toBe(expected);
  });
});
