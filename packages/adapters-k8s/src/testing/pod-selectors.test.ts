import { kubeTime, type FakePod } from './fake-pod-store';
import { nameInFieldSelector, parseFieldSelector, parseLabelSelector, QueryError } from './pod-selectors';

function pod(name: string, labels: Record<string, string> | undefined, phase: FakePod['status']['phase'] = 'Running'): FakePod {
  const now = kubeTime();
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: 'ns', uid: 'u', resourceVersion: '1', creationTimestamp: now, ...(labels && { labels }) },
    spec: { containers: [{ name: 'app', image: 'i' }], nodeName: 'n', restartPolicy: 'Always' },
    status: { phase, conditions: [], hostIP: 'h', startTime: now, containerStatuses: [] },
  };
}

const web = pod('web-1', { app: 'web', tier: 'front' });
const db = pod('db-1', { app: 'db' });
const bare = pod('bare', undefined, 'Pending');

describe('label selectors', () => {
  it.each([
    { desc: 'equality', selector: 'app=web', matches: ['web-1'] },
    { desc: 'double equals', selector: 'app==db', matches: ['db-1'] },
    { desc: 'inequality (a pod without the label matches)', selector: 'app!=web', matches: ['db-1', 'bare'] },
    { desc: 'existence', selector: 'tier', matches: ['web-1'] },
    { desc: 'absence', selector: '!app', matches: ['bare'] },
    { desc: 'all requirements hold', selector: 'app=web,tier=front', matches: ['web-1'] },
    { desc: 'set membership', selector: 'app in (web, db)', matches: ['web-1', 'db-1'] },
    { desc: 'set exclusion', selector: 'app notin (web),tier!=x', matches: ['db-1', 'bare'] },
    { desc: 'a dotted key', selector: 'porthole.owner=alice', matches: [] },
    { desc: 'empty: everything', selector: '', matches: ['web-1', 'db-1', 'bare'] },
  ])('$desc: $selector', ({ selector, matches }) => {
    const test = parseLabelSelector(selector);

    expect([web, db, bare].filter(test).map((p) => p.metadata.name)).toEqual(matches);
  });

  it.each(['app=(x)', '!app=web', 'app in web'])('rejects %s', (selector) => {
    expect(() => parseLabelSelector(selector)).toThrow(QueryError);
  });
});

describe('field selectors', () => {
  it.each([
    { desc: 'by name', selector: 'metadata.name=db-1', matches: ['db-1'] },
    { desc: 'by phase', selector: 'status.phase!=Running', matches: ['bare'] },
    { desc: 'by namespace and name', selector: 'metadata.namespace==ns,metadata.name=web-1', matches: ['web-1'] },
  ])('$desc: $selector', ({ selector, matches }) => {
    expect([web, db, bare].filter(parseFieldSelector(selector)).map((p) => p.metadata.name)).toEqual(matches);
  });

  it('rejects a field the server does not index', () => {
    expect(() => parseFieldSelector('spec.foo=bar')).toThrow('field label not supported: spec.foo');
  });

  it.each([
    { selector: 'metadata.name=web', name: 'web' },
    { selector: 'status.phase=Running,metadata.name==db', name: 'db' },
    { selector: 'metadata.name!=web', name: undefined },
    { selector: null, name: undefined },
  ])('names the single pod a list or watch is narrowed to ($selector)', ({ selector, name }) => {
    expect(nameInFieldSelector(selector)).toBe(name);
  });
});
