// Jest globalSetup of the `integration` project: decides once per run whether the Docker
// engine tests can run, and prepares the engine for them.
// - An engine answers (DOCKER_HOST, else /var/run/docker.sock, asked with `docker version`):
//   leftover test containers of earlier runs are removed, the fixture image is built if
//   missing (scripts/build-test-image.sh), and PORTHOLE_DOCKER_AVAILABLE=1 tells
//   test/support/docker.ts to run the `describeDocker` suites.
// - No engine and PORTHOLE_REQUIRE_DOCKER=1 (CI): the run fails, saying what is missing.
// - No engine otherwise: one line says the Docker suites are skipped.
// Workers inherit process.env from this process, which is how the flag reaches them.
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const ROOT = path.resolve(__dirname, '../..');
// Keep in step with test/support/docker.ts.
const TEST_LABEL = 'porthole.test';
const PID_LABEL = 'porthole.test.pid';
const DOCKER_TIMEOUT_MS = 20_000;

module.exports = async function globalSetup() {
  const missing = whyNoEngine();
  if (missing !== null) {
    process.env.PORTHOLE_DOCKER_AVAILABLE = '0';
    if (process.env.PORTHOLE_REQUIRE_DOCKER === '1') {
      throw new Error(
        `PORTHOLE_REQUIRE_DOCKER=1 but the Docker engine tests cannot run: ${missing}. ` +
          'Start the test daemon with `scripts/test-daemon.sh start /tmp/phd` and export the DOCKER_HOST it prints.',
      );
    }
    console.log(`\n[porthole] Docker engine tests will be skipped: ${missing} (set PORTHOLE_REQUIRE_DOCKER=1 to fail instead).`);
    return;
  }
  removeStaleTestContainers();
  buildTestImage();
  process.env.PORTHOLE_DOCKER_AVAILABLE = '1';
};

/** Null when an engine answers, else what is missing, as a phrase for the messages above. */
function whyNoEngine() {
  const host = process.env.DOCKER_HOST;
  if (host === undefined || host === '') {
    if (!fs.existsSync('/var/run/docker.sock')) return 'DOCKER_HOST is not set and /var/run/docker.sock does not exist';
  } else if (host.startsWith('unix://') && !fs.existsSync(host.slice('unix://'.length))) {
    return `DOCKER_HOST=${host} but there is no socket at ${host.slice('unix://'.length)}`;
  }
  const where = host ? `DOCKER_HOST=${host}` : 'unix:///var/run/docker.sock';
  const version = docker(['version', '--format', '{{.Server.Version}}']);
  if (version.error && version.error.code === 'ENOENT') return 'the docker CLI is not installed (it builds the test image)';
  if (version.error) return `\`docker version\` against ${where} failed: ${version.error.message}`;
  if (version.status !== 0) return `the engine at ${where} does not answer \`docker version\`: ${lastLine(version.stderr)}`;
  return null;
}

/**
 * Removes containers labelled porthole.test=1 whose creating process is gone: leftovers
 * of runs that crashed or were interrupted. Containers of test runs still going on (other
 * engineers share the daemon) are left alone.
 */
function removeStaleTestContainers() {
  const list = docker(['ps', '-a', '--filter', `label=${TEST_LABEL}=1`, '--format', `{{.ID}} {{.Label "${PID_LABEL}"}}`]);
  if (list.status !== 0) throw new Error(`listing leftover test containers failed: ${lastLine(list.stderr)}`);
  const stale = list.stdout
    .split('\n')
    .map((line) => line.trim().split(/\s+/))
    .filter(([id, pid]) => id && !processAlive(Number(pid)))
    .map(([id]) => id);
  if (stale.length === 0) return;
  const removed = docker(['rm', '-f', ...stale]);
  if (removed.status !== 0) throw new Error(`removing leftover test containers failed: ${lastLine(removed.stderr)}`);
  console.log(`\n[porthole] removed ${stale.length} leftover test container(s)`);
}

function buildTestImage() {
  const build = spawnSync('bash', [path.join(ROOT, 'scripts/build-test-image.sh')], {
    cwd: ROOT,
    encoding: 'utf8',
    timeout: 120_000,
  });
  if (build.error || build.status !== 0) {
    throw new Error(`scripts/build-test-image.sh failed: ${build.error ? build.error.message : lastLine(build.stderr)}`);
  }
  if (build.stdout.trim() !== '') console.log(`\n[porthole] ${build.stdout.trim()}`);
}

function processAlive(pid) {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return error.code === 'EPERM';
  }
}

function docker(args) {
  return spawnSync('docker', args, { encoding: 'utf8', timeout: DOCKER_TIMEOUT_MS });
}

function lastLine(text) {
  const lines = String(text || '').trim().split('\n');
  return lines[lines.length - 1] || '(no output)';
}
