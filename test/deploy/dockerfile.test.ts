// The Dockerfile's promises that need no engine to check (the image itself is built and
// run by test/e2e/container-image.integration.test.ts): the base image users expect in
// every stage, the pinned pnpm, a non-root runtime stage that starts apps/server's main.
import { readFileSync } from 'node:fs';
import path from 'node:path';

const ROOT = path.resolve(__dirname, '../..');
const read = (file: string) => readFileSync(path.join(ROOT, file), 'utf8');

interface Instruction {
  readonly keyword: string;
  readonly args: string;
}

/** Instructions in order: comments dropped, continuation lines joined. */
function instructions(dockerfile: string): Instruction[] {
  const logical = dockerfile
    .split('\n')
    .filter((line) => !/^\s*#/.test(line))
    .join('\n')
    .replace(/\\\n/g, ' ')
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '');
  return logical.map((line) => {
    const [keyword = '', ...rest] = line.split(/\s+/);
    return { keyword: keyword.toUpperCase(), args: rest.join(' ') };
  });
}

const all = instructions(read('Dockerfile'));
const stages = all.reduce<Instruction[][]>((list, i) => (i.keyword === 'FROM' ? [...list, [i]] : (list[list.length - 1]?.push(i), list)), []);
const runtime = stages[stages.length - 1] ?? [];
const last = (stage: Instruction[], keyword: string) => stage.filter((i) => i.keyword === keyword).pop()?.args;

describe('Dockerfile', () => {
  it('builds every stage FROM node:20-bookworm-slim', () => {
    expect(stages.length).toBeGreaterThanOrEqual(2);
    for (const stage of stages) expect(stage[0]?.args).toMatch(/^node:20-bookworm-slim(\s+AS\s+\S+)?$/i);
  });

  it("installs the pnpm of package.json's packageManager", () => {
    const packageManager = (JSON.parse(read('package.json')) as { packageManager: string }).packageManager;
    const pnpm = all.map((i) => /\bpnpm@(\S+)/.exec(i.args)?.[1]).filter((v) => v !== undefined);
    expect(pnpm).toEqual([packageManager.replace(/^pnpm@/, '')]);
    expect(all.some((i) => i.keyword === 'RUN' && /pnpm install .*--frozen-lockfile/.test(i.args))).toBe(true);
  });

  it('runs apps/server as the non-root node user, listening on every interface of the container on 8080', () => {
    expect(last(runtime, 'USER')).toBe('node');
    expect(last(runtime, 'EXPOSE')).toBe('8080');
    expect(last(runtime, 'ENV')).toMatch(/\bPORTHOLE_HOST=0\.0\.0\.0\b/);
    const workdir = last(runtime, 'WORKDIR') ?? '/';
    const cmd = JSON.parse(last(runtime, 'CMD') ?? '[]') as string[];
    expect(cmd[0]).toBe('node');
    // The deployed tree is apps/server itself: its package.json main is the entry point.
    const main = (JSON.parse(read('apps/server/package.json')) as { main: string }).main;
    expect(path.posix.resolve(workdir, cmd[1] ?? '')).toBe(path.posix.resolve(workdir, main));
  });

  it('keeps forwards in a /data volume that the node user owns', () => {
    expect(last(runtime, 'ENV')).toMatch(/\bPORTHOLE_DATA_DIR=\/data\b/);
    expect(last(runtime, 'VOLUME')).toBe('["/data"]');
    expect(runtime.some((i) => i.keyword === 'RUN' && /chown node:node \/data\b/.test(i.args))).toBe(true);
  });

  it('lets an offline build point better-sqlite3 at a mirror of its prebuilt binaries', () => {
    const build = stages[0] ?? [];
    const arg = build.findIndex((i) => i.keyword === 'ARG' && i.args === 'npm_config_better_sqlite3_binary_host');
    const install = build.findIndex((i) => i.keyword === 'RUN' && /pnpm install /.test(i.args));
    expect(arg).toBeGreaterThan(-1);
    expect(arg).toBeLessThan(install);
  });

  it('keeps host build output and dependencies out of the build context', () => {
    const ignored = read('.dockerignore').split('\n').map((l) => l.trim());
    for (const entry of ['**/node_modules', '**/dist', '.git', '.test-results']) expect(ignored).toContain(entry);
  });
});
