import { unthrottled } from './pause-gate';
import { BURST_SECONDS, TokenBucket, throttleFor } from './token-bucket';

const RATE = 2 * 1024 * 1024;

/** A bucket on a clock the test moves by hand. */
function bucketAt(options: { bytesPerSecond?: number; burstBytes?: number } = {}) {
  let now = 0;
  const bucket = new TokenBucket({ bytesPerSecond: options.bytesPerSecond ?? RATE, burstBytes: options.burstBytes, now: () => now });
  return { bucket, advance: (ms: number) => (now += ms) };
}

describe('TokenBucket', () => {
  it.each<[string, (b: ReturnType<typeof bucketAt>) => number, number]>([
    ['a full burst passes at once', ({ bucket }) => bucket.delayAfter(RATE * BURST_SECONDS), 0],
    ['one byte over the burst waits the minimum (10 ms), not 0', ({ bucket }) => bucket.delayAfter(RATE * BURST_SECONDS + 1), 10],
    ['a debt of half a second waits half a second', ({ bucket }) => bucket.delayAfter(RATE * BURST_SECONDS + RATE / 2), 500],
    ['waiting pays the debt: after it, the burst is empty but not in debt', ({ bucket, advance }) => {
      bucket.delayAfter(RATE * BURST_SECONDS + RATE / 2);
      advance(500);
      return bucket.delayAfter(RATE / 200);
    }, 10],
    ['a long quiet spell refills only up to the burst', ({ bucket, advance }) => {
      advance(60_000);
      return bucket.delayAfter(RATE * BURST_SECONDS + RATE);
    }, 1000],
  ])('%s', (_description, act, wait) => {
    expect(act(bucketAt())).toBe(wait);
  });

  it.each([
    ['10 MB/s: 16 KiB slices, 2 MiB burst', 10 * 1024 * 1024, 16 * 1024, 2 * 1024 * 1024],
    ['2 MiB/s: 16 KiB slices', RATE, 16 * 1024, RATE * BURST_SECONDS],
    ['40 KiB/s: slices as small as the 8 KiB burst', 40 * 1024, 8 * 1024, 8 * 1024],
    ['1 KiB/s: never under 1 KiB', 1024, 1024, 205],
  ])('sizes slices and bursts for %s', (_description, rate, slice, burst) => {
    const { bucket } = bucketAt({ bytesPerSecond: rate });
    expect(bucket.sliceBytes).toBe(slice);
    expect(bucket.delayAfter(burst)).toBe(0);
    expect(bucket.delayAfter(rate / 10)).toBeGreaterThan(0);
  });

  it('holds the rate within 1 % over 3 s however late the timers fire (up to the burst)', () => {
    // A source that always has data, woken by timers that fire 0-150 ms late.
    const { bucket, advance } = bucketAt();
    let elapsed = 0;
    let passed = 0;
    let lateness = 0;
    let lastPassAt = 0;
    while (elapsed < 3000) {
      passed += 16 * 1024;
      lastPassAt = elapsed;
      const wait = bucket.delayAfter(16 * 1024);
      if (wait > 0) {
        lateness = (lateness + 37) % 150;
        advance(wait + lateness);
        elapsed += wait + lateness;
      }
    }
    // What passed is the burst plus the rate times the time (plus the debt of the last
    // pass, under 1 %): no more, and the lateness lost nothing.
    const expected = RATE * BURST_SECONDS + (RATE * lastPassAt) / 1000;
    expect(Math.abs(passed - expected) / expected).toBeLessThan(0.01);
  });

  it('refuses a rate that is not positive', () => {
    expect(() => new TokenBucket({ bytesPerSecond: 0 })).toThrow(RangeError);
  });

  it('throttleFor(0) is unlimited; any other rate a fresh bucket each time', () => {
    expect(throttleFor(0)).toBe(unthrottled);
    const a = throttleFor(RATE);
    expect(a).toBeInstanceOf(TokenBucket);
    expect(throttleFor(RATE)).not.toBe(a);
  });
});
