/**
 * Timeouts of the delivery tests, in one place. Waits are generous (a loaded 2-core CI
 * machine); the ones named after a requirement are that requirement.
 */
/** Jest's per-test limit for tests that move real bytes over real sockets. */
export const TEST_TIMEOUT_MS = 20_000;
/** How long to wait for something that should happen soon. */
export const WAIT_MS = 5_000;
/** Requirement: removing a forward closes its live connections within 1 s. */
export const CLOSE_WITHIN_MS = 1_000;
/** Requirement: nothing listening on the container port answers 502 within 1 s. */
export const FAIL_FAST_MS = 1_000;
/** How long to watch to be fairly sure something does not happen. */
export const QUIET_MS = 300;
