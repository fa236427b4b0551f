/**
 * Every wait in the engine tests, in one place, sized for a busy 2-core machine where
 * other test runs share the same Docker daemon. A test that needs more is saying
 * something about the code, not the machine.
 */
export const TIMEOUTS = {
  /** A fixture container from create to its ports accepting connections. */
  containerReady: 15_000,
  /** A lifecycle event (stopped, resumed) after the engine-side action that causes it. */
  lifecycleEvent: 2_000,
  /** How long a test waits to be sure an event does NOT come. */
  quietPeriod: 1_000,
  /** Dialing a port nobody listens on must fail faster than this. */
  refusedDial: 1_000,
  /** An unreachable engine must be reported faster than this. */
  unavailableEngine: 1_000,
  /** Jest's limit for one engine test (pass as the third argument of `it`). */
  engineTest: 30_000,
  /** Jest's limit for beforeAll/afterAll hooks that start or remove containers. */
  engineHook: 60_000,
} as const;

/** Polls `probe` every `intervalMs` until it returns a value other than undefined. */
export async function waitFor<T>(
  what: string,
  probe: () => T | undefined | Promise<T | undefined>,
  timeoutMs: number,
  intervalMs = 25,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() >= deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(intervalMs);
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
