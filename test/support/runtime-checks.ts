// Checks that tests of container runtimes share: the contract suite (test/contract) and
// the adapters' own tests.
import type { Duplex } from 'node:stream';
import type { RuntimeFailure } from '../../packages/core/src/index';

/** Sends `payload` through an echo connection and resolves with everything that came back. */
export function echo(socket: Duplex, payload: Buffer): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let received = 0;
    socket.on('data', (chunk: Buffer) => {
      chunks.push(chunk);
      received += chunk.length;
      if (received >= payload.length) {
        socket.destroy();
        resolve(Buffer.concat(chunks));
      }
    });
    socket.on('error', reject);
    socket.write(payload);
  });
}

/**
 * The RuntimeFailure a promise rejects with; fails the test if it resolves (destroying
 * what it resolved with) or rejects with anything else. Checked by name: an adapter may
 * load its own copy of core (its dist) while a test loads core's sources, and two copies
 * of a class fail instanceof.
 */
export async function failureOf(promise: Promise<unknown>): Promise<RuntimeFailure> {
  try {
    const value = await promise;
    (value as Duplex | undefined)?.destroy?.();
  } catch (error) {
    expect((error as Error).name).toBe('RuntimeFailure');
    return error as RuntimeFailure;
  }
  throw new Error('expected a RuntimeFailure, but it resolved');
}
