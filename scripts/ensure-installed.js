#!/usr/bin/env node
// `npm start` and `npm test` call this first, so a fresh clone needs only Node 20 and npm:
// it installs the workspace with the pinned pnpm when node_modules is missing or stale.
const { execSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const root = path.resolve(__dirname, '..');
const PNPM = 'pnpm@10.34.9'; // 11+ crashes on Node 20; keep in step with packageManager.
const lock = path.join(root, 'pnpm-lock.yaml');
const installed = path.join(root, 'node_modules', '.pnpm', 'lock.yaml');

function stale() {
  if (!fs.existsSync(installed)) return true;
  return fs.statSync(lock).mtimeMs > fs.statSync(installed).mtimeMs;
}

function pnpmCommand() {
  try {
    const version = execSync('pnpm --version', { stdio: ['ignore', 'pipe', 'ignore'] }).toString().trim();
    if (version === PNPM.split('@')[1]) return 'pnpm';
  } catch {
    // not installed: fall through to npx
  }
  return `npx --yes ${PNPM}`;
}

if (stale()) {
  const pnpm = pnpmCommand();
  console.error(`Installing dependencies with ${pnpm} ...`);
  execSync(`${pnpm} install --frozen-lockfile`, { cwd: root, stdio: 'inherit' });
}
