/**
 * Timeouts of the tests that talk to the fake API server over real sockets, in one place.
 * Generous: a loaded 2-core CI machine.
 */
/** Jest's per-test limit. */
export const TEST_TIMEOUT_MS = 20_000;
/** How long to wait for something that should happen soon. */
export const WAIT_MS = 5_000;

/** Resolves once `condition()` holds; rejects after `timeoutMs` naming `what`. */
export async function waitFor(what: string, condition: () => boolean, timeoutMs = WAIT_MS): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
