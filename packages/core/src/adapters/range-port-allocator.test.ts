import type { ForwardId } from '../domain/forward-id';
import type { PortNumber } from '../domain/port-number';
import { RangePortAllocator } from './range-port-allocator';

const id = 'pf_aaaaaaaaaaaaaaaaaaaa' as ForwardId;
const port = (n: number) => n as PortNumber;

describe('RangePortAllocator', () => {
  it('hands out ports of the range in turn and not twice', async () => {
    const allocator = new RangePortAllocator({ first: 20000, last: 20002 });
    const got = [await allocator.reserve(id, undefined), await allocator.reserve(id, undefined), await allocator.reserve(id, undefined)];
    expect(got).toEqual([20000, 20001, 20002]);
    await expect(allocator.reserve(id, undefined)).rejects.toMatchObject({ code: 'local_port_unavailable' });
  });

  it('does not reuse a just-released port while others are free', async () => {
    const allocator = new RangePortAllocator({ first: 20000, last: 20002 });
    const first = await allocator.reserve(id, undefined);
    await allocator.release(first);
    expect(await allocator.reserve(id, undefined)).toBe(20001);
  });

  it.each([
    ['below the range', 19999, /outside the allowed range 20000-20009/],
    ['above the range', 20010, /outside the allowed range/],
  ])('refuses a requested port %s', async (_description, requested, message) => {
    const allocator = new RangePortAllocator({ first: 20000, last: 20009 });
    await expect(allocator.reserve(id, port(requested))).rejects.toMatchObject({
      code: 'local_port_unavailable',
      message: expect.stringMatching(message),
    });
  });

  it('gives a requested port once, and again after release', async () => {
    const allocator = new RangePortAllocator({ first: 20000, last: 20009 });
    expect(await allocator.reserve(id, port(20005))).toBe(20005);
    await expect(allocator.reserve(id, port(20005))).rejects.toMatchObject({ code: 'local_port_unavailable' });
    await allocator.release(port(20005));
    expect(await allocator.reserve(id, port(20005))).toBe(20005);
  });

  it('takes back a restored port, even outside a range that changed since, and skips it after', async () => {
    const allocator = new RangePortAllocator({ first: 20000, last: 20001 });
    await allocator.restore(id, port(20000));
    await allocator.restore(id, port(30000));
    expect(allocator.has(30000)).toBe(true);
    expect(await allocator.reserve(id, undefined)).toBe(20001);
    await expect(allocator.restore(id, port(20000))).rejects.toMatchObject({ code: 'local_port_unavailable' });
  });
});
