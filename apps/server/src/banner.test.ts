import { startupBanner } from './banner';

const base = { url: 'http://127.0.0.1:8080', publicUrl: 'http://127.0.0.1:8080', adminToken: 'tok-0123456789abcdef', generated: false };

describe('startupBanner', () => {
  it.each<[string, Parameters<typeof startupBanner>[0], RegExp[], RegExp[]]>([
    ['a set token is never printed', base, [/listening on http:\/\/127\.0\.0\.1:8080/], [/tok-0123456789abcdef/, /Subdomain/]],
    ['a generated token is printed once, with a curl line', { ...base, generated: true }, [/^ {6}tok-0123456789abcdef$/m, /curl -H "Authorization: Bearer tok-/], []],
    ['another public URL is shown', { ...base, publicUrl: 'https://porthole.example.com' }, [/Public URL: https:\/\/porthole\.example\.com/], []],
    ['where forwards are kept', { ...base, store: '/var/lib/porthole/porthole.db' }, [/Forwards are kept in \/var\/lib\/porthole\/porthole\.db/], [/memory/]],
    ['forwards in memory only', { ...base, store: ':memory:' }, [/Forwards are kept in memory only \(PORTHOLE_DATA_DIR=:memory:\)/], []],
    ['subdomain mode says so', { ...base, previewDomain: 'preview.example.com' }, [/Subdomain mode: forwards answer at pf-<id>\.preview\.example\.com/], []],
  ])('%s', (_name, options, present, absent) => {
    const text = startupBanner(options);
    for (const pattern of present) expect(text).toMatch(pattern);
    for (const pattern of absent) expect(text).not.toMatch(pattern);
  });
});
