import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

export interface Certificate {
  readonly key: string;
  readonly cert: string;
}

let shared: Promise<Certificate> | undefined;

/**
 * A self-signed certificate for 127.0.0.1 and localhost, made once per process with the
 * openssl CLI (no npm dependency). It is its own CA: clients trust it through `caData`.
 */
export function selfSignedCertificate(): Promise<Certificate> {
  shared ??= generate().catch((error: unknown) => {
    shared = undefined;
    throw error;
  });
  return shared;
}

async function generate(): Promise<Certificate> {
  const dir = await mkdtemp(join(tmpdir(), 'fake-kube-apiserver-'));
  try {
    const keyFile = join(dir, 'key.pem');
    const certFile = join(dir, 'cert.pem');
    await promisify(execFile)('openssl', [
      'req', '-x509', '-nodes', '-days', '2',
      '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1',
      '-subj', '/CN=fake-kube-apiserver',
      '-addext', 'subjectAltName=IP:127.0.0.1,DNS:localhost',
      '-keyout', keyFile, '-out', certFile,
    ]);
    return { key: await readFile(keyFile, 'utf8'), cert: await readFile(certFile, 'utf8') };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
