#!/usr/bin/env node
// Runs every Jest project and ends with one line of totals, `N passed, N failed`, which CI
// reads (it does not parse Jest's own summary). Extra arguments go to Jest.
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const root = path.resolve(__dirname, '..');
const resultsDir = path.join(root, '.test-results');
fs.mkdirSync(resultsDir, { recursive: true });
const resultsFile = path.join(resultsDir, 'jest.json');
fs.rmSync(resultsFile, { force: true });

const jest = require.resolve('jest/bin/jest');
// The engine tests share one Docker daemon and time things in seconds: one worker keeps
// them from starving each other on a 2-core machine.
const run = spawnSync(
  process.execPath,
  [jest, '--runInBand', '--json', `--outputFile=${resultsFile}`, ...process.argv.slice(2)],
  { cwd: root, stdio: 'inherit' },
);

let passed = 0;
let failed = 0;
let skipped = 0;
if (fs.existsSync(resultsFile)) {
  const results = JSON.parse(fs.readFileSync(resultsFile, 'utf8'));
  passed = results.numPassedTests;
  failed = results.numFailedTests + results.numRuntimeErrorTestSuites;
  skipped = results.numPendingTests;
} else {
  failed = 1;
}
if (skipped > 0) console.log(`(${skipped} skipped)`);
console.log(`${passed} passed, ${failed} failed`);
process.exit(run.status === 0 && failed === 0 ? 0 : 1);
