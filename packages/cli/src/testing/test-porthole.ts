/**
 * The real Porthole HTTP server (REST, tunnel) over a fake container runtime, from
 * http-api's test kit, and its loopback fixture apps. Tests only: the CLI itself imports
 * no @porthole package (eslint.config.js), it speaks the documented HTTP contract.
 */
export { ADMIN_TOKEN, ALICE_TOKEN, WEB_CONTAINER, startTestPorthole, type TestPorthole } from '../../../http-api/src/testing/porthole-test-server';
export { startTcpServer, unusedPort, waitUntil, type TcpFixture } from '../../../http-api/src/testing/fixtures';
