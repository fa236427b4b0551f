import { RuntimeFailure, type RuntimeContainer } from '@porthole/core';
import Dockerode from 'dockerode';
import { rmSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { DockerContainerRuntime } from './docker-container-runtime';
import { UnexpectedEngineAnswer } from './docker-inspect';

const ID = 'a'.repeat(64);
const OWNER_ID = 'b'.repeat(64);
const STARTED = '2026-12-03T12:00:00.2Z';
const OWNER_STARTED = '2026-12-03T12:00:00.1Z';

/**
 * A stand-in engine that answers `GET /containers/{ref}/json` with whatever body a test
 * sets for that reference (404 for any other), to see what the adapter makes of answers
 * a real engine would never give. The real engine is in the integration tests.
 */
class FakeInspectEngine {
  readonly socketPath = path.join(tmpdir(), `porthole-inspect-${process.pid}-${Math.random().toString(36).slice(2, 8)}.sock`);
  readonly bodies = new Map<string, string>();
  private readonly server = http.createServer((req, res) => {
    const ref = /^\/containers\/([^/?]+)\/json/.exec(req.url ?? '')?.[1];
    const body = ref === undefined ? undefined : this.bodies.get(ref);
    if (body === undefined) {
      res.writeHead(404, { 'content-type': 'application/json' }).end('{"message":"No such container"}');
      return;
    }
    res.writeHead(200, { 'content-type': 'application/json' }).end(body);
  });

  async start(): Promise<void> {
    rmSync(this.socketPath, { force: true });
    await new Promise<void>((resolve) => this.server.listen(this.socketPath, resolve));
  }

  /** Answers for `ref` (and for the full id, which is what dial asks for). */
  answer(body: unknown, ...refs: string[]): void {
    for (const ref of refs) this.bodies.set(ref, typeof body === 'string' ? body : JSON.stringify(body));
  }

  async stop(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

/** An inspect answer of a running container, with overrides. */
function container(id: string, name: string, state: Record<string, unknown> = {}, fields: Record<string, unknown> = {}) {
  return {
    Id: id,
    Name: `/${name}`,
    State: { Status: 'running', Running: true, Paused: false, Restarting: false, StartedAt: STARTED, ...state },
    Config: { Labels: {} },
    HostConfig: { NetworkMode: 'bridge' },
    NetworkSettings: { IPAddress: '', Networks: { bridge: { IPAddress: '127.0.0.1' } } },
    ...fields,
  };
}

/** The RuntimeFailure a promise rejects with (fails the test if it resolves or throws anything else). */
async function failureOf(promise: Promise<unknown>): Promise<RuntimeFailure> {
  const error: unknown = await promise.then(
    () => new Error('expected a RuntimeFailure, but it resolved'),
    (rejection: unknown) => rejection,
  );
  expect(error).toBeInstanceOf(RuntimeFailure);
  return error as RuntimeFailure;
}

describe('DockerContainerRuntime against a stand-in engine', () => {
  let engine: FakeInspectEngine;
  let runtime: DockerContainerRuntime;

  beforeEach(async () => {
    engine = new FakeInspectEngine();
    await engine.start();
    const docker = new Dockerode({ socketPath: engine.socketPath, host: undefined });
    runtime = new DockerContainerRuntime(docker, { requestTimeoutMs: 1000 });
  });

  afterEach(() => engine.stop());

  describe('an inspect answer of an unexpected shape is unavailable, never a TypeError', () => {
    it.each<[string, unknown, RegExp]>([
      ['a body that is not JSON', 'garbage<>', /the inspect answer is not a JSON object but the body "garbage<>"/],
      ['a body of null', 'null', /the inspect answer is not a JSON object but the body "null"/],
      ['an empty object', {}, /State is not a JSON object but missing/],
      ['a null State', { ...container(ID, 'web'), State: null }, /State is not a JSON object but null/],
      ['null-filled fields', { Id: ID, Name: null, State: { Status: null, Running: null } }, /Name is not a string but null/],
      ['a State of the wrong types', container(ID, 'web', { Running: 'yes' }), /State.Running is not a boolean/],
      ['a numeric Id', { ...container(ID, 'web'), Id: 7 }, /Id is not a string but number 7/],
      [
        'an unreadable start time of a shared network',
        container(ID, 'web', { StartedAt: 'soon' }, { HostConfig: { NetworkMode: `container:${OWNER_ID}` } }),
        /is not a timestamp/,
      ],
    ])('%s', async (_description, body, detail) => {
      engine.answer(body, 'web', ID);
      engine.answer(container(OWNER_ID, 'n', { StartedAt: OWNER_STARTED }), OWNER_ID);
      for (const call of [runtime.find('web'), runtime.dial({ containerId: ID, incarnation: STARTED, port: 80 })]) {
        const failure = await failureOf(call);
        expect(failure.reason).toBe('unavailable');
        expect(failure.message).toMatch(/^Docker engine answered unexpectedly while (looking up|dialing) container/);
        expect(failure.message).toMatch(detail);
        expect(failure.cause).toBeInstanceOf(UnexpectedEngineAnswer);
      }
    });

    it('the same for the answer about the container whose network it shares', async () => {
      engine.answer(container(ID, 'x', {}, { HostConfig: { NetworkMode: `container:${OWNER_ID}` } }), 'x');
      engine.answer({ Id: OWNER_ID, State: null }, OWNER_ID);
      const failure = await failureOf(runtime.find('x'));
      expect(failure.reason).toBe('unavailable');
      expect(failure.cause).toBeInstanceOf(UnexpectedEngineAnswer);
    });
  });

  describe('a container in another container’s network namespace', () => {
    const sidecar = container(ID, 'x', {}, { HostConfig: { NetworkMode: `container:${OWNER_ID}` }, NetworkSettings: {} });
    let joined: RuntimeContainer;

    beforeEach(async () => {
      engine.answer(sidecar, 'x', ID);
      engine.answer(container(OWNER_ID, 'n', { StartedAt: OWNER_STARTED }), OWNER_ID);
      joined = (await runtime.find('x')) as RuntimeContainer;
    });

    it('is in the life of both', () => {
      expect(joined).toMatchObject({ id: ID, running: true, incarnation: `${STARTED}|${OWNER_ID}@${OWNER_STARTED}` });
    });

    it.each<[string, Record<string, unknown> | null, boolean]>([
      ['the owner stopped', { Status: 'exited', Running: false }, false],
      ['the owner restarted', { StartedAt: '2026-12-03T12:05:00Z' }, true],
      ['the owner was removed', null, true],
    ])('is gone once %s, to find and to dial alike', async (_description, ownerState, newLife) => {
      if (ownerState === null) engine.bodies.delete(OWNER_ID);
      else engine.answer(container(OWNER_ID, 'n', { StartedAt: OWNER_STARTED, ...ownerState }), OWNER_ID);
      const now = (await runtime.find('x')) as RuntimeContainer;
      expect(now).toMatchObject({ running: false, paused: false, state: expect.stringMatching(/^without a network/) });
      expect(now.incarnation !== joined.incarnation).toBe(newLife);
      for (const incarnation of [joined.incarnation, now.incarnation]) {
        expect((await failureOf(runtime.dial({ containerId: ID, incarnation, port: 1 }))).reason).toBe('gone');
      }
    });
  });
});
